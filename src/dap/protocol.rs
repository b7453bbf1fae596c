//! The wire: `Content-Length` framed JSON both ways, and the envelope of
//! what the adapter sends (responses and events), written from the
//! protocol's schema. The `dap` crate (0.4.1-alpha1) supplies most request
//! arguments and the data types inside bodies; its own `Response` leaves
//! out `command` on errors and its event bodies serialize absent fields as
//! `null`, which clients such as nvim-dap read as values, so the envelope
//! is ours. A few of its types lack `rename_all = "camelCase"` (`Source`,
//! `SourceBreakpoint`, `Breakpoint`, `ExceptionBreakpointsFilter`): only
//! their one-word fields are used, and `setBreakpoints` has its own.

use serde::Serialize;
use serde_json::{json, Value};
use std::io::{BufRead, Write};
use std::sync::{Arc, Mutex};

/// Larger messages are refused (an editor sends a few KiB).
const MAX_MESSAGE: usize = 16 << 20;

/// One frame read from the client.
pub enum Frame {
    /// The message's bytes (not yet parsed).
    Message(Vec<u8>),
    /// Headers that make no frame: why; the reader goes on with the next.
    Bad(String),
}

/// Reads the next frame; `None` at the end of the input.
pub fn read_frame(input: &mut impl BufRead) -> Option<Frame> {
    let mut length: Option<Result<usize, String>> = None;
    let mut line = String::new();
    loop {
        line.clear();
        match input.read_line(&mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        let header = line.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            if length.is_none() && line.len() <= 2 {
                // Blank lines between frames: nothing to answer.
                continue;
            }
            break;
        }
        match header.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                length = Some(value.trim().parse::<usize>().map_err(|_| format!("Content-Length `{}` is not a number", value.trim())));
            }
            // Other headers (Content-Type) are allowed and ignored.
            Some(_) => {}
            None => length = Some(Err(format!("`{header}` is not a header (expected `Content-Length: N` and a blank line)"))),
        }
    }
    match length {
        None => Some(Frame::Bad("a message without a Content-Length header".into())),
        Some(Err(why)) => Some(Frame::Bad(why)),
        Some(Ok(n)) if n > MAX_MESSAGE => Some(Frame::Bad(format!("a message of {n} bytes is over the limit of {MAX_MESSAGE}"))),
        Some(Ok(n)) => {
            let mut body = vec![0; n];
            input.read_exact(&mut body).ok()?;
            Some(Frame::Message(body))
        }
    }
}

/// With `HOTBREAK_DAP_TRACE=FILE`, every message in and out is appended
/// to FILE: for finding out what an editor sends.
pub fn trace(direction: &str, body: &str) {
    static FILE: std::sync::OnceLock<Option<Mutex<std::fs::File>>> = std::sync::OnceLock::new();
    let file = FILE.get_or_init(|| {
        let path = std::env::var_os("HOTBREAK_DAP_TRACE")?;
        std::fs::OpenOptions::new().create(true).append(true).open(path).ok().map(Mutex::new)
    });
    if let Some(file) = file {
        let _ = writeln!(file.lock().unwrap_or_else(|e| e.into_inner()), "{direction} {body}");
    }
}

/// A request as the adapter reads it: `arguments` are parsed per command.
#[derive(Debug, Clone)]
pub struct Request {
    pub seq: i64,
    pub command: String,
    pub arguments: Value,
}

/// Parses a message; the error is said to the client as it is.
pub fn parse_request(body: &[u8]) -> Result<Request, (i64, String, String)> {
    let value: Value = serde_json::from_slice(body).map_err(|e| (0, String::new(), format!("malformed message: not JSON ({e})")))?;
    let seq = value.get("seq").and_then(Value::as_i64).unwrap_or(0);
    let command = value.get("command").and_then(Value::as_str).unwrap_or_default().to_string();
    match value.get("type").and_then(Value::as_str) {
        Some("request") => {}
        Some(other) => return Err((seq, command, format!("malformed message: the adapter takes requests, not a `{other}`"))),
        None => return Err((seq, command, "malformed message: it has no `type`".into())),
    }
    if command.is_empty() {
        return Err((seq, command, "malformed message: a request without a `command`".into()));
    }
    let arguments = value.get("arguments").cloned().unwrap_or(Value::Null);
    Ok(Request { seq, command, arguments })
}

/// Where messages go: stdout or the socket, shared by the threads that
/// forward output. Each message is written whole under the lock.
#[derive(Clone)]
pub struct Sender {
    inner: Arc<Mutex<(i64, Box<dyn Write + Send>)>>,
}

impl Sender {
    pub fn new(out: Box<dyn Write + Send>) -> Sender {
        Sender { inner: Arc::new(Mutex::new((0, out))) }
    }

    fn send(&self, mut message: Value) {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        guard.0 += 1;
        message["seq"] = json!(guard.0);
        let body = message.to_string();
        trace("->", &body);
        let out = &mut guard.1;
        // A client that went away is noticed by the reader.
        let _ = write!(out, "Content-Length: {}\r\n\r\n{body}", body.len());
        let _ = out.flush();
    }

    pub fn respond(&self, request: &Request, body: impl Serialize) {
        let body = serde_json::to_value(body).unwrap_or(Value::Null);
        let mut message = json!({ "type": "response", "request_seq": request.seq, "success": true, "command": request.command });
        if !body.is_null() {
            message["body"] = body;
        }
        self.send(message);
    }

    /// An error response: `message` is what the editor shows.
    pub fn fail(&self, request_seq: i64, command: &str, message: &str) {
        self.send(json!({
            "type": "response", "request_seq": request_seq, "success": false, "command": command, "message": message,
            "body": { "error": { "id": 1, "format": message.replace('{', "(").replace('}', ")"), "showUser": true } },
        }));
    }

    pub fn event(&self, event: &str, body: Value) {
        let mut message = json!({ "type": "event", "event": event });
        if !body.is_null() {
            message["body"] = body;
        }
        self.send(message);
    }

    /// An `output` event: `category` is `stdout`, `stderr` or `console`.
    pub fn output(&self, category: &str, text: &str) {
        self.event("output", json!({ "category": category, "output": text }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(text: &str) -> Vec<String> {
        let mut input = std::io::Cursor::new(text.as_bytes().to_vec());
        std::iter::from_fn(|| read_frame(&mut input))
            .map(|f| match f {
                Frame::Message(b) => String::from_utf8(b).unwrap(),
                Frame::Bad(why) => format!("bad: {why}"),
            })
            .collect()
    }

    #[test]
    fn frames_are_read_and_bad_headers_named() {
        let got = frames("Content-Length: 2\r\n\r\n{}Content-Type: x\r\ncontent-length: 3\r\n\r\n[1]oops\r\n\r\nContent-Length: x\r\n\r\n");
        assert_eq!(got, ["{}", "[1]", "bad: `oops` is not a header (expected `Content-Length: N` and a blank line)", "bad: Content-Length `x` is not a number"]);
    }

    #[test]
    fn requests_need_a_type_and_a_command() {
        assert_eq!(parse_request(br#"{"seq":3,"type":"request","command":"threads"}"#).unwrap().command, "threads");
        assert!(parse_request(b"{nope").unwrap_err().2.starts_with("malformed message: not JSON"));
        assert_eq!(parse_request(br#"{"seq":4,"type":"request"}"#).unwrap_err().0, 4);
        assert!(parse_request(br#"{"seq":5,"type":"event","event":"x"}"#).unwrap_err().2.contains("not a `event`"));
    }
}
