//! Scraping netmon's metrics endpoint from a test.

use std::net::TcpListener;
use std::time::{Duration, Instant};

/// A port nothing listens on now (the kernel's choice).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap()
        .port()
}

/// An HTTP client that reports 4xx/5xx as responses, not errors.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into()
}

/// GETs `url` until it answers (the monitor is starting), for at most 10 s.
pub fn get_when_up(url: &str) -> ureq::http::Response<ureq::Body> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match agent().get(url).call() {
            Ok(response) => return response,
            Err(e) => assert!(Instant::now() < deadline, "{url} never answered: {e}"),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn body(response: &mut ureq::http::Response<ureq::Body>) -> String {
    response.body_mut().read_to_string().unwrap()
}
