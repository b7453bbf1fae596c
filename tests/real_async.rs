//! Async code nobody here wrote: mini-redis (tokio's example application,
//! from crates.io), its client test run unmodified under hotbreak. A
//! breakpoint in its `async fn Connection::read_frame` stops the task with
//! its locals, `next` follows the task over an `.await` and back round its
//! loop, and the test still passes.
//!
//! Needs crates.io (through cargo).

mod harness;

use harness::{fetched, session_on, Crate, Target};

static CRATES: &[Crate] = &[Crate {
    name: "mini-redis",
    version: "0.4.1",
    target: Target::Tests("client"),
    args: &["key_value_get_set", "--test-threads=1"],
    stdin: None,
    functions: 0,
    max_statements: 0,
}];

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
