DROP TABLE attempt_items;
