DROP TABLE lti_access_tokens;
DROP TABLE lti_deep_links;
DROP TABLE lti_links;
DROP TABLE lti_nonces;
DROP TABLE lti_states;
DROP TABLE lti_tool_keys;
DROP TABLE lti_platforms;
