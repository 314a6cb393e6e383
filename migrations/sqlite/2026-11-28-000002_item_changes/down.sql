DROP TABLE item_changes;
