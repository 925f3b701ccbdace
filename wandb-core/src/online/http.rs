//! The HTTP client: GraphQL, file_stream and uploads, each retried on 429,
//! 5xx, timeouts and connection errors with exponential backoff and jitter,
//! honouring `Retry-After` (capped at 5 minutes,
//! [`crate::duration::RETRY_AFTER_CAP`]), until a deadline that `finish` can
//! shorten.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::{json, Value};

use super::auth::ApiKey;
use super::error::{OnlineError, Result};

/// How requests are retried.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// First backoff (doubled after each failure, with jitter).
    pub initial_backoff: Duration,
    /// Largest backoff between two attempts.
    pub max_backoff: Duration,
    /// Limit of one request (connect, send, answer).
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            request_timeout: Duration::from_secs(60),
        }
    }
}

/// A deadline shared between the uploader thread and `finish`: retries stop
/// when it passes.
#[derive(Debug, Clone, Default)]
pub struct Deadline(Arc<Mutex<Option<Instant>>>);

impl Deadline {
    /// Sets (or replaces) the deadline.
    pub fn set(&self, at: Instant) {
        *self.0.lock() = Some(at);
    }
    /// Removes the deadline (retry forever).
    pub fn clear(&self) {
        *self.0.lock() = None;
    }
    /// The deadline, if any.
    pub fn get(&self) -> Option<Instant> {
        *self.0.lock()
    }
    /// True once the deadline has passed.
    pub fn passed(&self) -> bool {
        self.get().is_some_and(|d| Instant::now() >= d)
    }
}

/// What a request sends: bytes, or a file streamed from disk.
#[derive(Clone, Copy)]
enum Payload<'a> {
    Bytes(&'a [u8]),
    File(&'a Path),
    /// `len` bytes of a file from `offset` (a multipart part).
    Range(&'a Path, u64, u64),
}

enum Outcome {
    Done(String),
    Retry {
        after: Option<Duration>,
        why: String,
    },
    Fatal(OnlineError),
}

/// Talks to one W&B server.
pub struct Client {
    agent: ureq::Agent,
    base_url: String,
    auth: String,
    policy: RetryPolicy,
    /// Retries stop when this passes.
    pub deadline: Deadline,
    /// Shared mode: this writer's id, sent with every request.
    client_id: std::sync::OnceLock<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `base_url` authenticating with `key`.
    pub fn new(base_url: &str, key: &ApiKey, mut policy: RetryPolicy) -> Self {
        // a huge timeout means none, without overflowing the deadline arithmetic
        policy.request_timeout = policy.request_timeout.min(crate::duration::FAR_FUTURE);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(concat!("wandb-rs/", env!("CARGO_PKG_VERSION")))
            .timeout_global(Some(policy.request_timeout))
            .max_redirects(0)
            .build()
            .into();
        Client {
            agent,
            base_url: base_url.trim_end_matches('/').to_string(),
            auth: key.basic_auth(),
            policy,
            deadline: Deadline::default(),
            client_id: std::sync::OnceLock::new(),
        }
    }

    /// Sends `id` with every later GraphQL (`X-Wandb-Client-Id`) and
    /// file_stream (`X-Wandb-Async-Client-Id`) request, with
    /// `X-Wandb-Use-Async-Filestream: true`, as the official client. Set
    /// once; later calls are ignored.
    pub fn set_client_id(&self, id: &str) {
        let _ = self.client_id.set(id.to_owned());
    }

    /// The client-id headers of a request (none without a client id).
    fn id_headers(&self, name: &str) -> Vec<(String, String)> {
        match self.client_id.get() {
            Some(id) => vec![
                (name.to_owned(), id.clone()),
                ("X-Wandb-Use-Async-Filestream".to_owned(), "true".to_owned()),
            ],
            None => Vec::new(),
        }
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Runs a GraphQL operation and returns its `data`.
    pub fn graphql(&self, op: &str, query: &str, variables: Option<Value>) -> Result<Value> {
        let mut body = json!({"query": query, "operationName": op});
        if let Some(v) = variables {
            body["variables"] = v;
        }
        let url = format!("{}/graphql", self.base_url);
        let text = self.send(
            &format!("GraphQL {op}"),
            &url,
            "POST",
            body.to_string().into_bytes(),
            &self.id_headers("X-Wandb-Client-Id"),
            true,
        )?;
        let answer: Value = serde_json::from_str(&text).map_err(|e| OnlineError::GraphQl {
            op: op.to_string(),
            message: format!("the answer is not JSON: {e}"),
        })?;
        if let Some(errors) = answer.get("errors").and_then(Value::as_array) {
            if !errors.is_empty() && answer.get("data").is_none_or(Value::is_null) {
                let message = errors
                    .iter()
                    .map(|e| e.get("message").and_then(Value::as_str).unwrap_or("?"))
                    .collect::<Vec<_>>()
                    .join("; ");
                return Err(OnlineError::GraphQl {
                    op: op.to_string(),
                    message,
                });
            }
        }
        Ok(answer.get("data").cloned().unwrap_or(Value::Null))
    }

    /// POSTs one file_stream request; returns the parsed answer.
    pub fn file_stream(
        &self,
        entity: &str,
        project: &str,
        run: &str,
        body: &[u8],
    ) -> Result<Value> {
        let url = format!(
            "{}/files/{}/{}/{}/file_stream",
            self.base_url,
            path_escape(entity),
            path_escape(project),
            path_escape(run)
        );
        let ids = self.id_headers("X-Wandb-Async-Client-Id");
        let text = self.send("file_stream", &url, "POST", body.to_vec(), &ids, true)?;
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// PUTs a file to a (signed) upload URL: no credentials, only the
    /// `uploadHeaders` the server gave.
    pub fn upload(&self, url: &str, headers: &[(String, String)], bytes: Vec<u8>) -> Result<()> {
        self.send("upload", url, "PUT", bytes, headers, false)
            .map(|_| ())
    }

    /// GETs `url` into `dest` (credentials only when `url` is on the base
    /// URL; redirects are followed without them), streaming, and returns the b64 MD5 and size of what was received.
    /// Transient failures are retried until the deadline.
    pub fn download(&self, url: &str, dest: &std::path::Path) -> Result<(String, u64)> {
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let why = match self.download_once(url, dest) {
                Ok(done) => return Ok(done),
                Err(Outcome::Fatal(OnlineError::Http { status, body, .. })) => {
                    return Err(OnlineError::Http {
                        what: "download".into(),
                        status,
                        body,
                    })
                }
                Err(Outcome::Fatal(e)) => return Err(e),
                Err(Outcome::Retry { why, .. }) => why,
                Err(Outcome::Done(_)) => String::new(),
            };
            if !self.sleep(self.backoff(attempt)) {
                return Err(OnlineError::Unreachable {
                    what: "download".into(),
                    attempts: attempt,
                    last: why,
                });
            }
        }
    }

    fn download_once(
        &self,
        url: &str,
        dest: &std::path::Path,
    ) -> std::result::Result<(String, u64), Outcome> {
        use md5::Digest as _;
        use std::io::{Read as _, Write as _};
        // The key goes only to the base URL (a run file's `url` there
        // redirects to signed storage); a redirect is followed without it.
        let mut url = url.to_string();
        let mut hops = 0;
        let resp = loop {
            let mut req = self.agent.get(&url);
            if url.starts_with(&format!("{}/", self.base_url)) {
                req = req.header("Authorization", self.auth.as_str());
            }
            let resp = req.call().map_err(classify_transport)?;
            let location = resp.headers().get("location").and_then(|v| v.to_str().ok());
            match location {
                Some(to) if resp.status().is_redirection() && hops < 5 => {
                    hops += 1;
                    url = match to.strip_prefix('/') {
                        Some(rel) if !rel.starts_with('/') => format!("{}/{rel}", self.base_url),
                        _ => to.to_string(),
                    };
                }
                _ => break resp,
            }
        };
        let status = resp.status().as_u16();
        if !(200..=299).contains(&status) {
            let retry = matches!(status, 408 | 409 | 425 | 429 | 500..=599);
            return Err(if retry {
                Outcome::Retry {
                    after: None,
                    why: format!("HTTP {status}"),
                }
            } else {
                Outcome::Fatal(OnlineError::Http {
                    what: String::new(),
                    status,
                    body: String::new(),
                })
            });
        }
        let io = |action, e| Outcome::Fatal(OnlineError::io(action, dest, e));
        let mut out =
            std::fs::File::create(dest).map_err(|e| io("cannot create download file", e))?;
        let mut body = resp.into_body();
        let mut reader = body.as_reader();
        let mut hasher = md5::Md5::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut size = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    return Err(Outcome::Retry {
                        after: None,
                        why: e.to_string(),
                    })
                }
            };
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])
                .map_err(|e| io("cannot write download file", e))?;
            size += n as u64;
        }
        Ok((crate::artifact::digest::b64(&hasher.finalize()), size))
    }

    /// PUTs a file to a (signed) upload URL, streamed from disk (never held
    /// in memory); each retry reads the file again.
    pub fn upload_file(&self, url: &str, headers: &[(String, String)], path: &Path) -> Result<()> {
        self.send_payload("upload", url, "PUT", Payload::File(path), headers, false)
            .map(|_| ())
    }

    /// PUTs `len` bytes of `path` from `offset` (one part of a multipart
    /// upload), streamed; returns the `ETag` the storage answered (quotes
    /// included), which completes the upload.
    pub fn upload_part(
        &self,
        url: &str,
        headers: &[(String, String)],
        path: &Path,
        offset: u64,
        len: u64,
    ) -> Result<String> {
        let mut headers = headers.to_vec();
        headers.push(("Content-Length".into(), len.to_string()));
        let payload = Payload::Range(path, offset, len);
        self.send_payload("upload part", url, "PUT", payload, &headers, false)
    }

    fn send(
        &self,
        what: &str,
        url: &str,
        method: &str,
        body: Vec<u8>,
        extra: &[(String, String)],
        with_auth: bool,
    ) -> Result<String> {
        self.send_payload(what, url, method, Payload::Bytes(&body), extra, with_auth)
    }

    fn send_payload(
        &self,
        what: &str,
        url: &str,
        method: &str,
        body: Payload<'_>,
        extra: &[(String, String)],
        with_auth: bool,
    ) -> Result<String> {
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let outcome = self.attempt(url, method, body, extra, with_auth);
            let (after, why) = match outcome {
                Outcome::Done(text) => return Ok(text),
                Outcome::Fatal(OnlineError::Http { status, body, .. }) => {
                    return Err(OnlineError::Http {
                        what: what.to_string(),
                        status,
                        body,
                    })
                }
                Outcome::Fatal(e) => return Err(e),
                Outcome::Retry { after, why } => (after, why),
            };
            let backoff = self.backoff(attempt);
            let wait = after.map_or(backoff, |a| a.max(Duration::from_millis(1)));
            tracing::debug!(what, attempt, ?wait, why = why.as_str(), "retrying");
            if !self.sleep(wait) {
                return Err(OnlineError::Unreachable {
                    what: what.to_string(),
                    attempts: attempt,
                    last: why,
                });
            }
        }
    }

    fn attempt(
        &self,
        url: &str,
        method: &str,
        body: Payload<'_>,
        extra: &[(String, String)],
        with_auth: bool,
    ) -> Outcome {
        let timeout = match self.deadline.get() {
            Some(d) => d
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(50))
                .min(self.policy.request_timeout),
            None => self.policy.request_timeout,
        };
        let result = if method == "PUT" {
            let mut req = self
                .agent
                .put(url)
                .config()
                .timeout_global(Some(timeout))
                .build();
            for (k, v) in extra {
                req = req.header(k.as_str(), v.as_str());
            }
            match body {
                Payload::Bytes(b) => req.send(b),
                Payload::File(p) => match std::fs::File::open(p) {
                    Ok(f) => req.send(f),
                    Err(e) => {
                        return Outcome::Fatal(OnlineError::io("cannot open upload file", p, e))
                    }
                },
                Payload::Range(p, offset, len) => {
                    use std::io::{Read as _, Seek as _};
                    let mut f = match std::fs::File::open(p) {
                        Ok(f) => f,
                        Err(e) => {
                            return Outcome::Fatal(OnlineError::io("cannot open upload file", p, e))
                        }
                    };
                    if let Err(e) = f.seek(std::io::SeekFrom::Start(offset)) {
                        return Outcome::Fatal(OnlineError::io("cannot read upload file", p, e));
                    }
                    req.send(ureq::SendBody::from_owned_reader(f.take(len)))
                }
            }
        } else {
            let Payload::Bytes(body) = body else {
                return Outcome::Fatal(OnlineError::Thread(
                    "a file body is only sent with PUT".into(),
                ));
            };
            let mut req = self
                .agent
                .post(url)
                .config()
                .timeout_global(Some(timeout))
                .build()
                .header("Content-Type", "application/json");
            for (k, v) in extra {
                req = req.header(k.as_str(), v.as_str());
            }
            if with_auth {
                req = req
                    .header("Authorization", self.auth.as_str())
                    .header("X-WANDB-USERNAME", "")
                    .header("X-WANDB-USER-EMAIL", "");
            }
            req.send(body)
        };
        let resp = match result {
            Ok(r) => r,
            Err(e) => return classify_transport(e),
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(crate::duration::retry_after);
        // a PUT's answer is its ETag (multipart completion needs it)
        let etag = resp
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = match resp.into_body().read_to_string() {
            Ok(t) => t,
            Err(e) => return classify_transport(e),
        };
        match status {
            200..=299 if method == "PUT" => Outcome::Done(etag.unwrap_or_default()),
            200..=299 => Outcome::Done(text),
            401 | 403 if with_auth => Outcome::Fatal(OnlineError::Rejected {
                base_url: self.base_url.clone(),
                status,
            }),
            408 | 409 | 425 | 429 | 500..=599 => Outcome::Retry {
                after: retry_after,
                why: format!("HTTP {status}"),
            },
            _ => Outcome::Fatal(OnlineError::Http {
                what: String::new(),
                status,
                body: text.chars().take(300).collect(),
            }),
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .policy
            .initial_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let cap = exp.min(self.policy.max_backoff);
        // full jitter in [cap/2, cap]
        let half = cap / 2;
        half + half.mul_f64(fastrand::f64())
    }

    /// Sleeps `d`, in slices so a shortened deadline is noticed; false if the
    /// deadline passes first.
    fn sleep(&self, d: Duration) -> bool {
        let end = crate::duration::deadline_after(d);
        loop {
            if self.deadline.passed() {
                return false;
            }
            let now = Instant::now();
            if now >= end {
                return true;
            }
            std::thread::sleep((end - now).min(Duration::from_millis(25)));
        }
    }
}

fn classify_transport(e: ureq::Error) -> Outcome {
    match e {
        ureq::Error::BadUri(_)
        | ureq::Error::RequireHttpsOnly(_)
        | ureq::Error::InvalidProxyUrl => Outcome::Fatal(OnlineError::Http {
            what: String::new(),
            status: 0,
            body: e.to_string(),
        }),
        other => Outcome::Retry {
            after: None,
            why: other.to_string(),
        },
    }
}

/// Escapes a path segment (entity, project and run names are usually plain).
pub(crate) fn path_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
