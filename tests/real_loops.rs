//! Running frames in a program nobody here wrote (issue 19): mio's
//! `tcp_server` example (from crates.io, unmodified), an event loop in
//! `main` that waits in `poll.poll(..)`. A breakpoint set while `main` waits
//! there stops in that frame once its loop comes round: the connection
//! accepted after arming is accepted by the patch.
//!
//! Needs crates.io (through cargo) and 127.0.0.1:9000 (the example's port).

mod harness;
mod support;

use harness::{fetched, Crate, Target};
use std::io::Read;
use std::net::TcpStream;
use support::Driver;

static CRATES: &[Crate] =
    &[Crate { name: "mio", version: "1.1.0", target: Target::Example("tcp_server"), args: &[], stdin: None, functions: 0, max_statements: 0 }];

/// Connects and reads the server's greeting.
fn connect() -> TcpStream {
    let mut s = TcpStream::connect("127.0.0.1:9000").expect("the example listens on 9000");
    let mut hello = [0u8; 13];
    s.read_exact(&mut hello).unwrap();
    assert_eq!(&hello, b"Hello world!\n");
    s
}

#[test]
fn a_breakpoint_in_mios_running_event_loop_stops_at_its_next_event() {
    const FILE: &str = "examples/tcp_server.rs";
    let dir = fetched(CRATES, "mio");
    let source = std::fs::read_to_string(dir.join(FILE)).unwrap();
    let line = source.lines().position(|l| l.trim() == "println!(\"Accepted connection from: {address}\");").unwrap() as u32 + 1;
    let state = support::workspace().join("target/hotbreak/test-state").join(support::fresh_state("osr-mio"));
    let mut hb = Driver::start_with(&dir, &["--example", "tcp_server", "--features", "os-poll net"], &[], &state);
    hb.send("continue &");
    hb.wait_for("the server", |l| l.starts_with("You'll see our welcome message"));
    let _first = connect();
    hb.wait_for("a connection served natively", |l| l.starts_with("Accepted connection from: "));
    hb.send(&format!("break {FILE}:{line}"));
    hb.wait_for("what running frames do", |l| l.contains("running frames of `main` switch to the new code at the next iteration of the loop at line"));
    hb.wait_for("armed", |l| l.contains(&format!("{FILE}:{line} in `main`: armed in")));
    // `main` waits in `poll` inside its loop: the next event (the first
    // connection's writable socket, or this one) comes through the loop's
    // header, where the frame switches; this connection stops in the patch.
    let second = std::thread::spawn(connect);
    let stop = hb.wait_for("the stop in the running event loop", |l| l.starts_with("stopped "));
    assert!(stop.starts_with(&format!("stopped (breakpoint 1) at {FILE}:{line} in `main`")), "{stop}");
    hb.send("print address.ip()");
    hb.wait_for("the new connection's address", |l| l.ends_with("= 127.0.0.1"));
    hb.send("print connections.len()");
    // The first connection, inserted by the native code before the switch.
    hb.wait_for("a local from before the loop, as the frame had it", |l| l.ends_with("= 1"));
    hb.send("delete 1");
    hb.send("continue &");
    let _second = second.join().unwrap();
    let _third = connect();
    hb.wait_for("the patched loop serving on", |l| l.starts_with("Accepted connection from: "));
    hb.finish();
}
