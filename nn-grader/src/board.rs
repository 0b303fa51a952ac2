//! The lab board's events: on the class server, each grading cell of the exercise tells
//! the kit's JupyterHub service `nnex4-board` (hub/board/) what it found, so that the teacher
//! sees during the lesson where the class is stuck.
//!
//! One event per cell: the student's hub name, the time, and per part graded its id, its
//! points and the id of the classic mistake recognized (or none). No code, no numbers the
//! student's functions computed, no messages:
//!
//! ```text
//! {"user":"ada","time":1765000000,"parts":[{"part":"RegularizedCost","points":0,"mistake":"RegularizedBias"}]}
//! ```
//!
//! The ids are the Debug names of [`Part`] and [`Mistake`] ([`catalogue_json`] lists them
//! with their names; the service checks every event against that list).
//!
//! **Only on the hub, and never in the way.** An event is sent only when the kernel's
//! environment has all of:
//!
//! - `NNEX4_BOARD_URL`: `http://127.0.0.1:PORT/PATH` (the hub's configuration sets it for
//!   every student's server; only a loopback address is accepted, so the token never
//!   crosses a network in clear text);
//! - `JUPYTERHUB_API_TOKEN` and `JUPYTERHUB_USER`: what JupyterHub gives every single-user
//!   server, inherited by its kernels; the service asks the hub whose token it is, and
//!   refuses an event whose `user` is not the token's owner;
//!
//! and not `NBGRADER_EXECUTION` (nbgrader sets it while its autograder or the Validate
//! button runs the notebook: grading runs send nothing). `make grade` never calls the
//! functions that send ([`crate::class`] runs the student's functions itself, in a sandbox
//! with an empty environment and no network).
//!
//! The POST is plain HTTP/1.1 over a [`TcpStream`] with one deadline for connecting,
//! writing and reading the status line: `NNEX4_BOARD_TIMEOUT_MS` (default
//! [`DEFAULT_TIMEOUT_MS`], at most [`MAX_TIMEOUT_MS`]). Whatever happens (no service, no
//! answer, a refusal) the cell prints and returns what it does without the board.

use std::fmt;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::class::json_string;
use crate::mistakes::Mistake;
use crate::part::Part;
use crate::report::PartResult;

/// The sender's deadline when `NNEX4_BOARD_TIMEOUT_MS` is not set.
pub const DEFAULT_TIMEOUT_MS: u64 = 500;
/// The longest deadline `NNEX4_BOARD_TIMEOUT_MS` may set (a larger value is cut to it).
pub const MAX_TIMEOUT_MS: u64 = 5000;

/// Where and as whom events go: read from the kernel's environment ([`Destination::from_env`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Destination {
    /// The service's address (loopback only).
    pub addr: SocketAddr,
    /// The request path, e.g. `/services/nnex4-board/api/events`.
    pub path: String,
    /// The student's hub name (`JUPYTERHUB_USER`).
    pub user: String,
    /// The server's API token (`JUPYTERHUB_API_TOKEN`).
    token: String,
    /// The deadline of one POST.
    pub timeout: Duration,
}

impl fmt::Debug for Destination {
    /// Everything but the token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Destination")
            .field("addr", &self.addr)
            .field("path", &self.path)
            .field("user", &self.user)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Destination {
    /// The destination the kernel's environment names, or `None` (off the hub, in a grading
    /// run, or a setting that is missing or not usable).
    pub fn from_env() -> Option<Destination> {
        Destination::from_vars(|key| std::env::var(key).ok())
    }

    /// [`Destination::from_env`] with the variables read through `var`.
    ///
    /// ```
    /// use nn_grader::board::Destination;
    /// let hub = |k: &str| match k {
    ///     "NNEX4_BOARD_URL" => Some("http://127.0.0.1:8305/services/nnex4-board/api/events".to_string()),
    ///     "JUPYTERHUB_API_TOKEN" => Some("abc123".to_string()),
    ///     "JUPYTERHUB_USER" => Some("ada".to_string()),
    ///     "NNEX4_BOARD_TIMEOUT_MS" => Some("250".to_string()),
    ///     _ => None,
    /// };
    /// let d = Destination::from_vars(hub).unwrap();
    /// assert_eq!((d.addr.port(), d.path.as_str(), d.timeout.as_millis()), (8305, "/services/nnex4-board/api/events", 250));
    /// // nbgrader's autograder (or Validate) runs the notebook: nothing is sent
    /// assert!(Destination::from_vars(|k| if k == "NBGRADER_EXECUTION" { Some("autograde".into()) } else { hub(k) }).is_none());
    /// // a host that is not this machine: nothing is sent
    /// let away = |k: &str| if k == "NNEX4_BOARD_URL" { Some("http://10.0.0.7:8305/x".into()) } else { hub(k) };
    /// assert!(Destination::from_vars(away).is_none());
    /// ```
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Option<Destination> {
        if var("NBGRADER_EXECUTION").is_some() {
            return None;
        }
        let url = var("NNEX4_BOARD_URL")?;
        let token = var("JUPYTERHUB_API_TOKEN").filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic()))?;
        let user = var("JUPYTERHUB_USER").filter(|u| !u.is_empty())?;
        let (addr, path) = parse_loopback_url(&url)?;
        let ms = match var("NNEX4_BOARD_TIMEOUT_MS") {
            Some(text) => text.trim().parse::<u64>().ok().filter(|&ms| ms > 0)?.min(MAX_TIMEOUT_MS),
            None => DEFAULT_TIMEOUT_MS,
        };
        Some(Destination { addr, path, user, token, timeout: Duration::from_millis(ms) })
    }
}

/// `http://127.0.0.1:PORT/PATH` (or `localhost`, `[::1]`) -> (address, path).
fn parse_loopback_url(url: &str) -> Option<(SocketAddr, String)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if !path.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let (host, port) = authority.rsplit_once(':')?;
    let port: u16 = port.parse().ok().filter(|&p| p > 0)?;
    let ip: IpAddr = match host {
        "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        h => h.trim_start_matches('[').trim_end_matches(']').parse().ok()?,
    };
    ip.is_loopback().then(|| (SocketAddr::new(ip, port), path.to_string()))
}

/// The event for the parts a cell graded, as JSON (see the module's docs).
///
/// ```
/// use nn_grader::{board, Mistake, Part, PartResult};
/// let part = PartResult { part: Part::RegularizedCost, score: 0, max: 15, message: "x".into(),
///                         mistake: Some(Mistake::RegularizedBias) };
/// assert_eq!(board::event_json("ada", 1765000000, &[part]),
///            r#"{"user":"ada","time":1765000000,"parts":[{"part":"RegularizedCost","points":0,"mistake":"RegularizedBias"}]}"#);
/// ```
pub fn event_json(user: &str, time: u64, parts: &[PartResult]) -> String {
    let rows: Vec<String> = parts
        .iter()
        .map(|p| {
            let mistake = p.mistake.map_or_else(|| "null".to_string(), |m| json_string(&format!("{m:?}")));
            format!(
                "{{\"part\":{},\"points\":{},\"mistake\":{mistake}}}",
                json_string(&format!("{:?}", p.part)),
                p.score
            )
        })
        .collect();
    format!("{{\"user\":{},\"time\":{time},\"parts\":[{}]}}", json_string(user), rows.join(","))
}

/// What the service may be sent: the parts (id, name, points) and the mistakes (id, name),
/// as JSON. hub/board/catalogue.json is this, checked by the tests.
pub fn catalogue_json() -> String {
    let parts: Vec<String> = Part::ALL
        .iter()
        .map(|p| {
            format!(
                "    {{\"id\": {}, \"name\": {}, \"max\": {}}}",
                json_string(&format!("{p:?}")),
                json_string(p.name()),
                p.max_score()
            )
        })
        .collect();
    let mistakes: Vec<String> = Mistake::ALL
        .iter()
        .map(|m| format!("    {{\"id\": {}, \"name\": {}}}", json_string(&format!("{m:?}")), json_string(m.name())))
        .collect();
    format!("{{\n  \"parts\": [\n{}\n  ],\n  \"mistakes\": [\n{}\n  ]\n}}\n", parts.join(",\n"), mistakes.join(",\n"))
}

/// Sends the event for `parts` where the environment names a board; does nothing otherwise.
/// Never fails, never panics, never takes longer than the destination's timeout.
pub fn send(parts: &[PartResult]) {
    if let Some(dest) = Destination::from_env() {
        let time = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let _ = post(&dest, &event_json(&dest.user, time, parts));
    }
}

/// POSTs `body` to the destination; the HTTP status of the answer, or why there is none.
/// Connecting, writing and reading the status line share the destination's one deadline.
pub fn post(dest: &Destination, body: &str) -> Result<u16, String> {
    let deadline = Instant::now() + dest.timeout;
    let left = || deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()).ok_or("timed out");
    let mut stream = TcpStream::connect_timeout(&dest.addr, dest.timeout).map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nAuthorization: token {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        dest.path,
        dest.addr,
        dest.token,
        body.len()
    );
    stream.set_write_timeout(Some(left()?)).map_err(|e| e.to_string())?;
    stream.write_all(request.as_bytes()).map_err(|e| format!("write: {e}"))?;
    // the status line: "HTTP/1.1 201 Created\r\n"
    let mut got = Vec::with_capacity(64);
    let mut buf = [0u8; 64];
    while !got.windows(2).any(|w| w == b"\r\n") && got.len() < 256 {
        stream.set_read_timeout(Some(left()?)).map_err(|e| e.to_string())?;
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => return Err(format!("read: {e}")),
        }
    }
    let line = String::from_utf8_lossy(&got);
    line.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no HTTP status in {line:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_urls_are_used() {
        for (url, ok) in [
            ("http://127.0.0.1:8305/services/nnex4-board/api/events", true),
            ("http://localhost:8305/e", true),
            ("http://[::1]:8305/e", true),
            ("http://127.0.0.1:8305", true),
            ("https://127.0.0.1:8305/e", false),
            ("http://192.168.1.2:8305/e", false),
            ("http://example.org:80/e", false),
            ("http://127.0.0.1/e", false),
            ("http://127.0.0.1:0/e", false),
            ("http://127.0.0.1:8305/e\r\nX-Evil: 1", false),
        ] {
            assert_eq!(parse_loopback_url(url).is_some(), ok, "{url}");
        }
    }

    #[test]
    fn the_timeout_is_read_and_capped_and_a_bad_one_sends_nothing() {
        let vars = |ms: Option<&'static str>| {
            move |k: &str| match k {
                "NNEX4_BOARD_URL" => Some("http://127.0.0.1:1/e".to_string()),
                "JUPYTERHUB_API_TOKEN" => Some("t".to_string()),
                "JUPYTERHUB_USER" => Some("u".to_string()),
                "NNEX4_BOARD_TIMEOUT_MS" => ms.map(str::to_string),
                _ => None,
            }
        };
        let ms = |v| Destination::from_vars(vars(v)).map(|d| d.timeout.as_millis() as u64);
        assert_eq!(ms(None), Some(DEFAULT_TIMEOUT_MS));
        assert_eq!(ms(Some("80")), Some(80));
        assert_eq!(ms(Some("999999")), Some(MAX_TIMEOUT_MS));
        assert_eq!(ms(Some("0")), None);
        assert_eq!(ms(Some("soon")), None);
    }

    #[test]
    fn no_token_or_user_means_nothing_is_sent_and_debug_hides_the_token() {
        let base = |k: &str| match k {
            "NNEX4_BOARD_URL" => Some("http://127.0.0.1:9/e".to_string()),
            "JUPYTERHUB_API_TOKEN" => Some("secret-token".to_string()),
            "JUPYTERHUB_USER" => Some("ada".to_string()),
            _ => None,
        };
        let d = Destination::from_vars(base).unwrap();
        assert!(!format!("{d:?}").contains("secret-token"));
        assert!(Destination::from_vars(|k| if k == "JUPYTERHUB_API_TOKEN" { None } else { base(k) }).is_none());
        assert!(Destination::from_vars(|k| if k == "JUPYTERHUB_USER" { None } else { base(k) }).is_none());
        let injected = |k: &str| if k == "JUPYTERHUB_API_TOKEN" { Some("t\r\nX: y".into()) } else { base(k) };
        assert!(Destination::from_vars(injected).is_none());
    }

    #[test]
    fn user_names_are_escaped_in_the_event() {
        assert_eq!(event_json("a\"b", 5, &[]), r#"{"user":"a\"b","time":5,"parts":[]}"#);
    }
}
