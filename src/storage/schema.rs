//! The diesel schema, shared by the SQLite and PostgreSQL migrations (see migrations/README.md).

diesel::table! {
    items (id) {
        id -> Text,
        subject -> Text,
        kind -> Text,
        latest_version -> Integer,
        published_version -> Nullable<Integer>,
        bank_hash -> Nullable<Text>,
        bank_version -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    item_versions (item_id, version) {
        item_id -> Text,
        version -> Integer,
        status -> Text,
        subject -> Text,
        kind -> Text,
        difficulty -> Integer,
        tags -> Text,
        points -> Integer,
        parts -> Integer,
        content -> Text,
        content_hash -> Text,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    bank_documents (name) {
        name -> Text,
        content -> Text,
        content_hash -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor -> Text,
        action -> Text,
        object_type -> Text,
        object_id -> Text,
        detail -> Text,
    }
}

diesel::table! {
    item_changes (seq) {
        seq -> BigInt,
        item_id -> Text,
        at -> Timestamp,
    }
}

diesel::joinable!(item_versions -> items (item_id));
diesel::allow_tables_to_appear_in_same_query!(
    items,
    item_versions,
    bank_documents,
    audit_log,
    item_changes
);
