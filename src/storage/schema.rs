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

diesel::table! {
    users (id) {
        id -> Text,
        role -> Text,
        login -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        name -> Text,
        password_hash -> Text,
        disabled -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sessions (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        csrf_token -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    session_revocations (token_hash, revoked_at) {
        token_hash -> Text,
        revoked_at -> Timestamp,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        throttle_key -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    responses (id) {
        id -> BigInt,
        user_id -> Text,
        item_id -> Text,
        version -> Integer,
        question_id -> Text,
        variant -> BigInt,
        answer -> Text,
        awarded -> Integer,
        max_points -> Integer,
        state -> Text,
        seconds -> Nullable<Integer>,
        context -> Text,
        attempt_id -> Nullable<Text>,
        created_at -> Timestamp,
        marked_version -> Nullable<Integer>,
        regraded_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    item_reports (id) {
        id -> BigInt,
        item_id -> Text,
        version -> Integer,
        reporter_id -> Text,
        message -> Text,
        status -> Text,
        created_at -> Timestamp,
        resolved_by -> Nullable<Text>,
        resolved_at -> Nullable<Timestamp>,
        resolution -> Nullable<Text>,
    }
}

diesel::table! {
    candidates (user_id) {
        user_id -> Text,
        id_number -> Text,
        birth_date -> Date,
        photo -> Nullable<Binary>,
        photo_type -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sittings (id) {
        id -> Text,
        name_zh -> Text,
        name_en -> Text,
        registration_opens -> Date,
        registration_closes -> Date,
        payment_opens -> Date,
        payment_closes -> Date,
        test_date -> Date,
        test_time -> Text,
        fee_fen -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    registrations (id) {
        id -> Text,
        user_id -> Text,
        sitting_id -> Text,
        amount_fen -> Integer,
        status -> Text,
        created_at -> Timestamp,
        paid_at -> Nullable<Timestamp>,
        paid_via -> Nullable<Text>,
        provider_ref -> Nullable<Text>,
    }
}

diesel::table! {
    payment_events (event_id) {
        event_id -> Text,
        registration_id -> Text,
        outcome -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    practice_sessions (id) {
        id -> Text,
        user_id -> Text,
        mode -> Text,
        scope -> Text,
        queue -> Text,
        position -> Integer,
        current_version -> Nullable<Integer>,
        current_variant -> Nullable<BigInt>,
        served_at -> Nullable<Timestamp>,
        answered -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    practice_progress (user_id, scope) {
        user_id -> Text,
        scope -> Text,
        last_item -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    mistakes (user_id, question_id) {
        user_id -> Text,
        item_id -> Text,
        question_id -> Text,
        added_at -> Timestamp,
        right_streak -> Integer,
        last_right_on -> Nullable<Date>,
    }
}

diesel::table! {
    favorites (user_id, item_id) {
        user_id -> Text,
        item_id -> Text,
        added_at -> Timestamp,
    }
}

diesel::table! {
    attempts (id) {
        id -> Text,
        user_id -> Text,
        blueprint -> Text,
        seed -> BigInt,
        pool_version -> Text,
        paper -> Text,
        started_at -> Timestamp,
        deadline -> Timestamp,
        status -> Text,
        submitted_at -> Nullable<Timestamp>,
        submitted_by -> Nullable<Text>,
        total -> Nullable<Integer>,
        passed -> Nullable<Bool>,
        assessment_id -> Nullable<Text>,
    }
}

diesel::table! {
    attempt_answers (attempt_id, slot) {
        attempt_id -> Text,
        slot -> Text,
        answer -> Text,
        saved_at -> Timestamp,
    }
}

diesel::table! {
    attempt_items (attempt_id) {
        attempt_id -> Text,
        user_id -> Text,
        items -> Text,
    }
}

diesel::table! {
    item_exposure (item_id) {
        item_id -> Text,
        uses -> BigInt,
    }
}

diesel::table! {
    learner_models (user_id) {
        user_id -> Text,
        model -> Text,
        last_response -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    item_params (question_id) {
        question_id -> Text,
        a -> Double,
        b -> Double,
        var_b -> Double,
        answers -> Integer,
    }
}

diesel::table! {
    schools (id) {
        id -> Text,
        name -> Text,
        embed_secret -> Text,
        webhook_url -> Nullable<Text>,
        licence_until -> Nullable<Date>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    school_members (user_id) {
        user_id -> Text,
        school_id -> Text,
        external_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    classes (id) {
        id -> Text,
        school_id -> Text,
        name -> Text,
        teacher_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    class_students (class_id, user_id) {
        class_id -> Text,
        user_id -> Text,
    }
}

diesel::table! {
    assessments (id) {
        id -> Text,
        school_id -> Text,
        class_id -> Text,
        title -> Text,
        source -> Text,
        blueprint -> Text,
        form -> Nullable<Text>,
        minutes -> Integer,
        opens_at -> Timestamp,
        closes_at -> Timestamp,
        max_attempts -> Integer,
        show_keys -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    attempt_hooks (attempt_id) {
        attempt_id -> Text,
        hook -> Text,
    }
}

diesel::table! {
    embed_nonces (school_id, nonce) {
        school_id -> Text,
        nonce -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    embed_sessions (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        assessment_id -> Text,
        hook -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        kind -> Text,
        payload -> Text,
        tries -> Integer,
        next_at -> Timestamp,
        done_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(item_versions -> items (item_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(registrations -> sittings (sitting_id));
diesel::table! {
    invitations (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    invitations,
    items,
    item_versions,
    bank_documents,
    audit_log,
    item_changes,
    users,
    sessions,
    session_revocations,
    login_failures,
    responses,
    item_reports,
    candidates,
    sittings,
    registrations,
    payment_events,
    practice_sessions,
    practice_progress,
    mistakes,
    favorites,
    attempts,
    attempt_answers,
    attempt_items,
    item_exposure,
    learner_models,
    item_params,
    schools,
    school_members,
    classes,
    class_students,
    assessments,
    attempt_hooks,
    embed_nonces,
    embed_sessions,
    outbox
);

diesel::table! {
    lti_platforms (id) {
        id -> Text,
        school_id -> Text,
        issuer -> Text,
        client_id -> Text,
        deployment_id -> Text,
        auth_url -> Text,
        token_url -> Text,
        jwks_url -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    lti_tool_keys (kid) {
        kid -> Text,
        private_pem -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    lti_states (state) {
        state -> Text,
        nonce -> Text,
        platform_id -> Text,
        created_at -> Timestamp,
        target_link_uri -> Nullable<Text>,
    }
}

diesel::table! {
    lti_nonces (platform_id, nonce) {
        platform_id -> Text,
        nonce -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    lti_links (platform_id, resource_link_id) {
        platform_id -> Text,
        resource_link_id -> Text,
        assessment_id -> Text,
        lineitem -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    lti_access_tokens (platform_id) {
        platform_id -> Text,
        token -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    lti_deep_links (token_hash) {
        token_hash -> Text,
        platform_id -> Text,
        deployment_id -> Text,
        return_url -> Text,
        data -> Nullable<Text>,
        created_at -> Timestamp,
    }
}
