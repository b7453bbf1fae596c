//! `cargo hotbreak dap`: a Debug Adapter Protocol server, the editors'
//! front end over the same [`Session`](crate::session::Session) as the
//! line mode and the terminal UI. Everything it does to the program is a
//! line-mode command; what the session emits (`Out`) becomes responses and
//! events.
//!
//! Threads: one reads frames from the client and feeds them into the
//! session's event stream as `Event::Input` (so one loop serves the client
//! and the program, as in the line mode); the main thread runs the session
//! and answers; others forward the program's stdout/stderr, and the
//! adapter's own (cargo's build progress), as `output` events.

mod breakpoints;
mod inspect;
mod launch;
pub mod protocol;
mod server;
mod variables;

use crate::debuggee::Event;
use anyhow::{Context, Result};
use protocol::{Frame, Sender};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// Serves one client: on stdin/stdout, or the first to connect to
/// 127.0.0.1:`port`. Returns when the client disconnects or goes away.
pub fn run(exe: &Path, port: Option<u16>) -> Result<()> {
    let (input, output): (Box<dyn Read + Send>, Box<dyn Write + Send>) = match port {
        Some(port) => {
            let listener = std::net::TcpListener::bind(("127.0.0.1", port)).with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
            eprintln!("hotbreak dap: listening on 127.0.0.1:{}", listener.local_addr()?.port());
            let (stream, _) = listener.accept()?;
            (Box::new(stream.try_clone()?), Box::new(stream))
        }
        None => {
            // The protocol keeps the real stdout; fd 1 is pointed elsewhere
            // below, so nothing printed by us or a child can break a frame.
            let out = dup(1)?;
            (Box::new(std::io::stdin()), Box::new(std::fs::File::from(out)))
        }
    };
    let sender = Sender::new(output);
    capture_own_output(&sender)?;
    // Requests go to the session's event stream once there is one.
    let (tx, rx) = mpsc::channel::<Event>();
    let route: Route = Arc::new(Mutex::new(tx));
    read_requests(input, route.clone(), sender.clone());
    server::Server::new(exe.to_path_buf(), sender, route, rx).serve();
    Ok(())
}

/// Where the reader sends what it reads: the adapter's own channel, then
/// the session's event stream.
pub(crate) type Route = Arc<Mutex<mpsc::Sender<Event>>>;

fn read_requests(input: Box<dyn Read + Send>, route: Route, sender: Sender) {
    std::thread::spawn(move || {
        let mut input = BufReader::new(input);
        while let Some(frame) = protocol::read_frame(&mut input) {
            match frame {
                Frame::Message(body) => {
                    let text = String::from_utf8_lossy(&body).into_owned();
                    protocol::trace("<-", &text);
                    if route.lock().unwrap_or_else(|e| e.into_inner()).send(Event::Input(text)).is_err() {
                        return;
                    }
                }
                // No request to answer: said as an error response to seq 0.
                Frame::Bad(why) => sender.fail(0, "", &format!("malformed message: {why}")),
            }
        }
        let _ = route.lock().unwrap_or_else(|e| e.into_inner()).send(Event::InputEnd);
    });
}

fn dup(fd: i32) -> Result<OwnedFd> {
    // SAFETY: dup returns a new descriptor we own, or -1.
    let new = unsafe { libc::dup(fd) };
    anyhow::ensure!(new >= 0, "dup: {}", std::io::Error::last_os_error());
    // SAFETY: `new` is open and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// Points fds 1 and 2 at a pipe whose lines become `console` output
/// events (cargo's progress while building, the session's notes) and are
/// copied to the adapter's real stderr, where editors log it.
fn capture_own_output(sender: &Sender) -> Result<()> {
    let stderr = std::fs::File::from(dup(2)?);
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe writes.
    anyhow::ensure!(unsafe { libc::pipe(fds.as_mut_ptr()) } == 0, "pipe: {}", std::io::Error::last_os_error());
    // SAFETY: both ends are open; dup2 onto 1 and 2 replaces them.
    unsafe {
        libc::dup2(fds[1], 1);
        libc::dup2(fds[1], 2);
        libc::close(fds[1]);
    }
    // SAFETY: the read end is ours alone.
    let read = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fds[0]) });
    let sender = sender.clone();
    std::thread::spawn(move || {
        let mut stderr = stderr;
        let mut lines = BufReader::new(read);
        let mut line = Vec::new();
        while lines.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
            let _ = stderr.write_all(&line);
            sender.output("console", &String::from_utf8_lossy(&line));
            line.clear();
        }
    });
    Ok(())
}
