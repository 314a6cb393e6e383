//! Blocking HTTP to platforms (their JWKS, token endpoint and score service) with ureq over rustls, with
//! a global timeout so a slow platform cannot hold a thread for long. Call from blocking threads only.

use std::time::Duration;

use ureq::Agent;

/// How long one call to a platform may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(15);

/// An answer: the status and the body as text.
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The client: statuses are answers, not errors, so callers can report a platform's error body.
pub fn agent() -> Agent {
    Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        .build()
        .into()
}

fn read(
    result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    url: &str,
) -> Result<Answer, String> {
    let mut resp = result.map_err(|e| format!("{url}: {e}"))?;
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .read_to_string()
        .map_err(|e| format!("{url}: reading the answer: {e}"))?;
    Ok(Answer { status, body })
}

/// GET `url`, accepting JSON.
pub fn get_json(agent: &Agent, url: &str) -> Result<Answer, String> {
    read(
        agent.get(url).header("Accept", "application/json").call(),
        url,
    )
}

/// POST a form to `url`, accepting JSON.
pub fn post_form(agent: &Agent, url: &str, form: &[(&str, &str)]) -> Result<Answer, String> {
    read(
        agent
            .post(url)
            .header("Accept", "application/json")
            .send_form(form.iter().copied()),
        url,
    )
}

/// POST a JSON document of `content_type` to `url` with a bearer token.
pub fn post_json(
    agent: &Agent,
    url: &str,
    bearer: &str,
    content_type: &str,
    body: &serde_json::Value,
) -> Result<Answer, String> {
    read(
        agent
            .post(url)
            .header("Authorization", format!("Bearer {bearer}"))
            .header("Content-Type", content_type)
            .send(body.to_string()),
        url,
    )
}
