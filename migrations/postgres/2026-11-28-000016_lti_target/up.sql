-- The target link URI a login initiation named, compared with the id_token's claim at the launch.
ALTER TABLE lti_states ADD COLUMN target_link_uri TEXT;
