//! Running frames in a program nobody here wrote (issue 19): tiny_http's
//! `serve-root` example (from crates.io, unmodified), a file server whose
//! `main` loops on `server.recv()`. A breakpoint set while `main` waits in
//! that call stops at the loop's next iteration, that is, at the request
//! after the one it was waiting for, which the old code serves.
//!
//! Needs crates.io (through cargo) and 127.0.0.1:8000 (the example's port).

mod harness;
mod support;

use harness::{fetched, Crate, Target};
use std::io::{Read, Write};
use std::net::TcpStream;
use support::Driver;

static CRATES: &[Crate] =
    &[Crate { name: "tiny_http", version: "0.12.0", target: Target::Example("serve-root"), args: &[], stdin: None, functions: 0, max_statements: 0 }];

/// One HTTP request for `path`; the status line of the answer.
fn get(path: &str) -> String {
    let mut s = TcpStream::connect("127.0.0.1:8000").expect("the example listens on 8000");
    write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    answer.lines().next().unwrap_or_default().to_string()
}

#[test]
fn a_breakpoint_in_tiny_https_running_server_loop_stops_at_its_next_request() {
    const FILE: &str = "examples/serve-root.rs";
    let dir = fetched(CRATES, "tiny_http");
    let source = std::fs::read_to_string(dir.join(FILE)).unwrap();
    let line = source.lines().position(|l| l.trim() == "let url = rq.url().to_string();").unwrap() as u32 + 1;
    let state = support::workspace().join("target/hotbreak/test-state").join(support::fresh_state("osr-tiny-http"));
    let mut hb = Driver::start_with(&dir, &["--example", "serve-root"], &[], &state);
    hb.send("continue &");
    hb.wait_for("the server", |l| l.starts_with("Now listening on port 8000"));
    assert_eq!(get("/before"), "HTTP/1.1 404 Not Found");
    hb.send(&format!("break {FILE}:{line}"));
    hb.wait_for("what running frames do", |l| l.contains("running frames of `main` switch to the new code at the next iteration of the loop at line"));
    hb.wait_for("armed", |l| l.contains(&format!("{FILE}:{line} in `main`: armed in")));
    // `main` waits in `recv` inside the loop: this request is served by the
    // code it was running; the loop's next iteration is the patch's.
    assert_eq!(get("/native"), "HTTP/1.1 404 Not Found");
    let second = std::thread::spawn(|| get("/patched"));
    let stop = hb.wait_for("the stop in the running server loop", |l| l.starts_with("stopped "));
    assert!(stop.starts_with(&format!("stopped (breakpoint 1) at {FILE}:{line} in `main`")), "{stop}");
    hb.send("print rq.url()");
    hb.wait_for("the request being served", |l| l.ends_with("= \"/patched\""));
    hb.send("print port");
    hb.wait_for("a local from before the loop", |l| l.ends_with("= 8000"));
    hb.send("delete 1");
    hb.send("continue &");
    assert_eq!(second.join().unwrap(), "HTTP/1.1 404 Not Found");
    assert_eq!(get("/after"), "HTTP/1.1 404 Not Found");
    hb.finish();
}
