ALTER TABLE lti_states DROP COLUMN target_link_uri;
