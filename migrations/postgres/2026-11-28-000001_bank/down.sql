DROP TABLE audit_log;
DROP TABLE bank_documents;
DROP TABLE item_versions;
DROP TABLE items;
