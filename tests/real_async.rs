//! Async code nobody here wrote: mini-redis (tokio's example application,
//! from crates.io), its client test run unmodified under hotbreak. A
//! breakpoint in its `async fn Connection::read_frame` stops the task with
//! its locals, `next` follows the task over an `.await` and back round its
//! loop, and the test still passes.
//!
//! Generic async code: bore-cli (a TCP tunnel, from crates.io), its own
//! end-to-end test run unmodified. `Delimited<U>::recv<T>`, an async method
//! of a generic impl that is generic itself, reads every protocol message
//! of both ends; a breakpoint in it stops in each instance the library
//! makes (server side `ClientMessage`, client side `ServerMessage`).
//!
//! Needs crates.io (through cargo).

mod harness;

use harness::{fetched, session_on, Crate, Target};

static CRATES: &[Crate] = &[
    Crate {
        name: "mini-redis",
        version: "0.4.1",
        target: Target::Tests("client"),
        args: &["key_value_get_set", "--test-threads=1"],
        stdin: None,
        functions: 0,
        max_statements: 0,
    },
    Crate {
        name: "bore-cli",
        version: "0.6.0",
        target: Target::Tests("e2e_test"),
        args: &["basic_proxy", "--test-threads=1"],
        stdin: None,
        functions: 0,
        max_statements: 0,
    },
];

#[test]
fn mini_redis_stops_in_an_async_fn_and_steps_over_its_await() {
    const FILE: &str = "src/connection.rs";
    let source = std::fs::read_to_string(fetched(CRATES, "mini-redis").join(FILE)).unwrap();
    let line_of = |text: &str| source.lines().position(|l| l.trim() == text).unwrap_or_else(|| panic!("{text}")) as u32 + 1;
    let parsed = line_of("return Ok(Some(frame));");
    let reads = line_of("if 0 == self.stream.read_buf(&mut self.buffer).await? {");
    let parse = line_of("if let Some(frame) = self.parse_frame()? {");
    // The server's and the client's connections both read: the breakpoint
    // goes before stepping, so only the stopped task can stop again.
    let script = format!(
        "break {FILE}:{reads}\ncontinue\nlocals\ndelete 1\nnext\nlocals\nbreak {FILE}:{parsed}\ncontinue\nlocals\ndelete all\ncontinue\n"
    );
    let run = session_on(CRATES, "mini-redis", &script);
    let context = format!("{:?}\n{}\n{}", run.answers, run.program.stdout, run.tool_stderr);
    let stops: Vec<(u32, &str)> = run.stops.iter().map(|(_, line, _, reason, _)| (*line, reason.as_str())).collect();
    // Nothing buffered yet: it reads; over the `.await` (the socket read),
    // the same task's loop goes on to parse what came; then a frame parsed.
    assert_eq!(stops, [(reads, "breakpoint"), (parse, "step"), (parsed, "breakpoint")], "{context}");
    assert!(run.stops.iter().all(|s| s.2 == "read_frame"), "{:?}\n{context}", run.stops);
    let local = |stop: usize, name: &str| {
        run.locals.get(stop).and_then(|vars| vars.iter().find(|(n, _)| n == name)).map(|(_, v)| v.clone()).unwrap_or_default()
    };
    assert!(local(0, "self").starts_with("Connection {"), "{:?}", run.locals);
    assert!(local(1, "self").starts_with("Connection {"), "{:?}", run.locals);
    // A frame of the test's exchange: `SET hello world` and `+OK`, then
    // `GET hello` and `$5 world` (which one depends on which futures were
    // first polled after the breakpoint was armed: those run its patch).
    let frame = local(2, "frame");
    let known = ["Bulk(b\"set\")", "Simple(\"OK\")", "Bulk(b\"get\")", "Bulk(b\"world\")"];
    assert!(known.iter().any(|k| frame.contains(k)), "frame = {frame}\n{:?}", run.locals);
    assert_eq!(run.program.code, Some(0), "{context}");
    assert!(run.program.stdout.contains("test key_value_get_set ... ok"), "{context}");
}

#[test]
fn bore_stops_in_each_instance_of_a_generic_async_method() {
    const FILE: &str = "src/shared.rs";
    let source = std::fs::read_to_string(fetched(CRATES, "bore-cli").join(FILE)).unwrap();
    let line_of = |text: &str| source.lines().position(|l| l.trim() == text).unwrap_or_else(|| panic!("{text}")) as u32 + 1;
    let parsed = line_of("Ok(serialized_obj)");
    // Each end stops once: the server reading the client's `Hello`, the
    // client reading the server's. (The protocol times out after 3 s: the
    // script answers at once.)
    let script = format!("break {FILE}:{parsed}\ncontinue\nlocals\ncontinue\nlocals\ndelete all\ncontinue\n");
    let run = session_on(CRATES, "bore-cli", &script);
    let context = format!("{:?}\n{:?}\n{}\n{}", run.answers, run.infos, run.program.stdout, run.tool_stderr);
    // Both instances are the library's own: covered, none left native.
    let covers = run.infos.iter().find(|m| m.starts_with("`recv`: covers ")).unwrap_or_else(|| panic!("{context}"));
    for message in ["ClientMessage", "ServerMessage"] {
        assert!(covers.contains(&format!("<bore_cli::shared::Delimited<tokio::net::tcp::stream::TcpStream>>::recv::<bore_cli::shared::{message}>")), "{covers}");
    }
    assert!(matches!(run.answers.first(), Some(harness::session::Answer::Armed { not_covered: false, .. })), "{context}");
    let stops: Vec<(u32, &str, &str)> = run.stops.iter().map(|(_, line, f, reason, _)| (*line, f.as_str(), reason.as_str())).collect();
    assert_eq!(stops[..2], [(parsed, "recv", "breakpoint"), (parsed, "recv", "breakpoint")], "{context}");
    // Each stop shows its instance's frame: the client's `Hello` asking
    // for any port (0), read by the server as a `ClientMessage`, and the
    // server's answer naming the port it opened, read by the client as a
    // `ServerMessage`. (`serialized_obj`, typed only by its later use, is
    // pruned from the locals: rustc cannot type a capture of it.)
    let local = |stop: usize, name: &str| {
        run.locals.get(stop).and_then(|vars| vars.iter().find(|(n, _)| n == name)).map(|(_, v)| v.clone()).unwrap_or_default()
    };
    let mut frames: Vec<String> = (0..2).map(|i| local(i, "byte_message")).collect();
    frames.sort();
    assert_eq!(frames[0], "b\"{\\\"Hello\\\":0}\"", "{:?}", run.locals);
    assert!(frames[1].starts_with("b\"{\\\"Hello\\\":") && frames[1] != frames[0], "{:?}", run.locals);
    assert!(local(0, "self").starts_with("Delimited(Framed {"), "{:?}", run.locals);
    assert_eq!(run.program.code, Some(0), "{context}");
    assert!(run.program.stdout.contains("test result: ok. 3 passed"), "{context}");
}
