//! `async fn`s of a tokio program that knows nothing of hotbreak
//! (`examples/tasks`: a multi-threaded runtime, orders priced by tasks
//! that await per item, a heartbeat task): a breakpoint stops one task
//! with its locals while the others run on, and stepping follows that
//! task across `.await`, whichever worker thread resumes it.

mod support;

use support::{line_of, Driver};

const SHOP: &str = "examples/tasks/src/shop.rs";

fn stopped(line: &str) -> bool {
    line.starts_with("stopped ")
}

/// The thread a `stopped ... thread N ...` line names.
fn thread_of(stop: &str) -> u64 {
    let rest = &stop[stop.find(", thread ").expect("a thread") + ", thread ".len()..];
    rest.split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn a_breakpoint_in_an_async_fn_stops_one_task_and_next_follows_it_across_await() {
    let awaits = line_of(SHOP, "let price = order.price(item).await;");
    let mut hb = Driver::start_package("tasks", &["3"], "async-next");
    hb.send(&format!("break shop.rs:{awaits} if order.id == 3"));
    hb.wait_for("armed", |l| l.contains(&format!("breakpoint 1 at {SHOP}:{awaits} in `total`: armed in ")));
    hb.send("continue");
    let stop = hb.wait_for("the stop", stopped);
    assert!(stop.starts_with(&format!("stopped (breakpoint 1) at {SHOP}:{awaits} in `total`")), "{stop}");
    // The stopped task holds one worker thread; the heartbeat task and the
    // other orders go on on the other.
    hb.wait_for("a heartbeat while stopped", |l| l.starts_with("tasks: beat "));
    hb.wait_for("another heartbeat while stopped", |l| l.starts_with("tasks: beat "));
    if !hb.seen.iter().any(|l| l == "tasks: order 2 total 37") {
        hb.wait_for("another order's total", |l| l == "tasks: order 2 total 37");
    }
    hb.send("locals");
    hb.wait_for("the order", |l| l == "order: &tasks::shop::Order = Order { id: 3, items: [1, 2, 3], label: \"order-3\" }");
    hb.wait_for("the sum so far", |l| l == "sum: u32 = 0");
    hb.wait_for("the item", |l| l == "item: u32 = 1");

    // Over the `.await`: the same task's next line, on whichever worker
    // resumed it (the await sleeps, so it may be the other one).
    let mut threads = vec![thread_of(&stop)];
    hb.send("next");
    let step = hb.wait_for("the step over the await", stopped);
    assert!(step.starts_with(&format!("stopped (step) at {SHOP}:{} in `total`", awaits + 1)), "{step}");
    threads.push(thread_of(&step));
    hb.send("print (order.id, price)");
    hb.wait_for("this task's values", |l| l.contains("(3, 13)"));
    // Round the loop to the next item's await, and over it again.
    hb.send("next");
    let again = hb.wait_for("the loop's next item", stopped);
    assert!(again.contains(&format!("at {SHOP}:{awaits} in `total`")), "{again}");
    hb.send("next");
    let step = hb.wait_for("the second step over an await", stopped);
    assert!(step.starts_with(&format!("stopped (step) at {SHOP}:{} in `total`", awaits + 1)), "{step}");
    threads.push(thread_of(&step));
    hb.send("locals");
    hb.wait_for("the sum after one item", |l| l == "sum: u32 = 13");
    hb.wait_for("the second item's price", |l| l == "price: u32 = 23");
    eprintln!("stops on threads {threads:?}");

    // `finish`: the task's return value, then the program ends as natively.
    hb.send("delete 1");
    hb.send("finish");
    let ret = hb.wait_for("the return", stopped);
    assert!(ret.starts_with(&format!("stopped (returned 75) at {SHOP}:")), "{ret}");
    hb.send("continue");
    hb.wait_for("the grand total", |l| l == "tasks: grand total 124");
    hb.wait_for("the exit", |l| l.contains("program exited with status 0"));
    assert!(hb.finish().success());
}

#[test]
fn step_enters_an_awaited_async_fn_and_finish_returns_to_the_awaiting_line() {
    let awaits = line_of(SHOP, "let price = order.price(item).await;");
    let priced = line_of(SHOP, "base + self.id");
    let mut hb = Driver::start_package("tasks", &["3"], "async-step");
    // Both async fns patched; `price` never stops by itself.
    hb.send(&format!("break shop.rs:{priced} if false"));
    hb.wait_for("price armed", |l| l.contains("in `price`: armed in "));
    hb.send(&format!("break shop.rs:{awaits} if order.id == 2"));
    hb.wait_for("total armed", |l| l.contains("in `total`: armed in "));
    hb.send("continue");
    hb.wait_for("the stop", stopped);
    hb.send("step");
    let inside = hb.wait_for("the step into price", stopped);
    assert!(inside.starts_with(&format!("stopped (step) at {SHOP}:{priced} in `price`")), "{inside}");
    hb.send("locals");
    hb.wait_for("price's receiver", |l| l.starts_with("self: &tasks::shop::Order = Order { id: 2,"));
    hb.wait_for("price's own local", |l| l == "base: u32 = 10");
    // The task's chain: the awaited fn, then the fn awaiting it (the
    // boxed patch futures and `.await` wrappers left out).
    hb.send("backtrace");
    let inner = hb.wait_for("the innermost frame", |l| l.starts_with("#0 "));
    assert!(inner.contains("Order>::price::{closure#0}"), "{inner}");
    let outer = hb.wait_for("the awaiting frame", |l| l.starts_with("#1 "));
    assert!(outer.contains("tasks::shop::total::{closure#0}"), "{outer}");
    hb.send("finish");
    let ret = hb.wait_for("price's return", stopped);
    assert!(ret.starts_with(&format!("stopped (returned 12) at {SHOP}:{priced} in `price`")), "{ret}");
    // From there, the awaiting code resumes: `total`'s next line.
    hb.send("next");
    let back = hb.wait_for("the awaiting line", stopped);
    assert!(back.starts_with(&format!("stopped (step) at {SHOP}:{} in `total`", awaits + 1)), "{back}");
    hb.send("print price");
    hb.wait_for("the awaited value", |l| l.contains("12"));
    hb.send("delete all");
    hb.send("continue");
    hb.wait_for("the grand total", |l| l == "tasks: grand total 124");
    assert!(hb.finish().success());
}

/// `receipt<S: Sink>` runs as `receipt::<Vec<u8>>` and `receipt::<String>`
/// in the same task: one breakpoint stops in each, with that instance's
/// locals, and `next` steps over the `.await` as in any async fn.
#[test]
fn a_breakpoint_in_a_generic_async_fn_stops_in_each_instance_and_next_steps_over_its_await() {
    let awaits = line_of(SHOP, "let cost = order.price(item).await;");
    let mut hb = Driver::start_package("tasks", &["3"], "async-generic");
    hb.send(&format!("break shop.rs:{awaits} if order.id == 2 && item == 2"));
    let covers = hb.wait_for("the instances", |l| l.starts_with("`receipt`: covers "));
    assert_eq!(covers, "`receipt`: covers receipt::<alloc::string::String>, receipt::<alloc::vec::Vec<u8>>");
    hb.wait_for("armed", |l| l.contains(&format!("breakpoint 1 at {SHOP}:{awaits} in `receipt`: armed in ")));
    hb.send("continue");
    let stop = hb.wait_for("the bytes instance's stop", stopped);
    assert!(stop.starts_with(&format!("stopped (breakpoint 1) at {SHOP}:{awaits} in `receipt`")), "{stop}");
    hb.send("locals");
    // The first line is in: "order-2 x1 = 12\n" as bytes.
    hb.wait_for("the bytes sink", |l| l.starts_with("out: alloc::vec::Vec<u8> = [111, 114, 100, 101, 114, 45, 50,"));
    hb.wait_for("the item", |l| l == "item: u32 = 2");
    hb.send("next");
    let step = hb.wait_for("the step over the await", stopped);
    assert!(step.starts_with(&format!("stopped (step) at {SHOP}:{} in `receipt`", awaits + 1)), "{step}");
    hb.send("print cost");
    hb.wait_for("the awaited price", |l| l.contains("22"));
    // The same line in the `String` instance, further on in the same task.
    hb.send("continue");
    let stop = hb.wait_for("the text instance's stop", stopped);
    assert!(stop.starts_with(&format!("stopped (breakpoint 1) at {SHOP}:{awaits} in `receipt`")), "{stop}");
    hb.send("locals");
    hb.wait_for("the text sink", |l| l == "out: alloc::string::String = \"order-2 x1 = 12\\n\"");
    hb.send("delete 1");
    hb.send("continue");
    hb.wait_for("order 2's receipts", |l| l == "tasks: order 2 receipts 32 32 ledgers 19 19 audited true");
    hb.wait_for("the grand total", |l| l == "tasks: grand total 124");
    hb.wait_for("the exit", |l| l.contains("program exited with status 0"));
    assert!(hb.finish().success());
}

/// `impl<S: Sink> Ledger<S> { async fn book(&mut self, ..) }`: a log point
/// logs from both instances, a conditional breakpoint stops in each.
#[test]
fn an_async_method_of_a_generic_impl_logs_and_stops_in_each_instance() {
    let booked = line_of(SHOP, "self.booked += 1;");
    let held = line_of(SHOP, "self.entries.size()");
    let mut hb = Driver::start_package("tasks", &["3"], "async-generic-impl");
    hb.send(&format!("break shop.rs:{booked} log \"booked {{size}}\""));
    let covers = hb.wait_for("the instances", |l| l.contains("`book`: covers "));
    assert!(covers.contains("<tasks::shop::Ledger<alloc::string::String>>::book"), "{covers}");
    assert!(covers.contains("<tasks::shop::Ledger<alloc::vec::Vec<u8>>>::book"), "{covers}");
    hb.send(&format!("break shop.rs:{held} if size == 48"));
    hb.wait_for("armed", |l| l.contains(&format!("breakpoint 2 at {SHOP}:{held} in `book`: armed in ")));
    hb.send("continue");
    let mut sinks = Vec::new();
    for _ in 0..2 {
        let stop = hb.wait_for("a stop in book", stopped);
        assert!(stop.starts_with(&format!("stopped (breakpoint 2) at {SHOP}:{held} in `book`")), "{stop}");
        hb.send("locals");
        let this = hb.wait_for("the ledger", |l| l.starts_with("self: &mut tasks::shop::Ledger<"));
        sinks.push(this["self: &mut tasks::shop::Ledger<".len()..].split('>').next().unwrap().to_string());
        hb.wait_for("the receipt's size", |l| l == "size: usize = 48");
        hb.send("continue");
    }
    sinks.sort();
    assert_eq!(sinks, ["alloc::string::String", "alloc::vec::Vec<u8"], "{}", hb.seen.join("\n"));
    hb.wait_for("the grand total", |l| l == "tasks: grand total 124");
    // Each order books into both ledgers: six log lines, each instance's.
    let logs: Vec<&String> = hb.seen.iter().filter(|l| l.starts_with(&format!("log {SHOP}:{booked}: booked "))).collect();
    for size in [16, 32, 48] {
        let n = logs.iter().filter(|l| l.ends_with(&format!("booked {size}"))).count();
        assert_eq!(n, 2, "{logs:?}");
    }
    assert!(hb.finish().success());
}

/// A copy of `examples/tasks` as a workspace of its own, for a test that
/// edits its sources.
fn scratch_tasks(name: &str) -> std::path::PathBuf {
    let root = support::workspace();
    let dir = root.join("target/hotbreak/test-crates").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let manifest = std::fs::read_to_string(root.join("examples/tasks/Cargo.toml")).unwrap().replace("name = \"tasks\"", &format!("name = \"{name}\""));
    std::fs::write(dir.join("Cargo.toml"), format!("{manifest}\n[workspace]\n")).unwrap();
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    for file in ["main.rs", "shop.rs"] {
        std::fs::copy(root.join("examples/tasks/src").join(file), dir.join("src").join(file)).unwrap();
    }
    dir
}

/// An edit of a generic async fn while one of its futures is stopped: that
/// future finishes with the code it started with, the next instance's
/// future (first polled after the patch) runs the edit.
#[test]
fn an_edit_of_a_generic_async_fn_takes_effect_for_futures_first_polled_after_it() {
    let dir = scratch_tasks("async-generic-edit");
    let shop = dir.join("src/shop.rs");
    let original = std::fs::read_to_string(&shop).unwrap();
    let at = line_of(SHOP, "out.put(&line);");
    let mut hb = Driver::start(&dir, &["1"]);
    hb.wait_for("the start", |l| l.starts_with("started async-generic-edit"));
    hb.send(&format!("break src/shop.rs:{at}"));
    hb.wait_for("armed", |l| l.contains("in `receipt`: armed in "));
    hb.send("continue");
    let stop = hb.wait_for("the stop in the bytes receipt", stopped);
    assert!(stop.starts_with(&format!("stopped (breakpoint 1) at src/shop.rs:{at} in `receipt`")), "{stop}");
    hb.send("locals");
    hb.wait_for("the empty bytes sink", |l| l == "out: alloc::vec::Vec<u8> = []");
    // One more byte per line, no line moved.
    let edited = original.replace("x{item} = {cost}\", order.label)", "x{item} = {cost}!\", order.label)");
    assert_ne!(edited, original);
    std::fs::write(&shop, &edited).unwrap();
    hb.wait_for("`receipt` patched", |l| l.contains("`receipt` hot-patched in"));
    hb.send("delete 1");
    hb.send("continue");
    // The stopped `Vec<u8>` receipt ends as it began (16 bytes); the
    // `String` receipt, polled after the edit, has the `!` (17).
    hb.wait_for("the receipts", |l| l == "tasks: order 1 receipts 16 17 ledgers 19 19 audited true");
    hb.wait_for("the exit", |l| l.contains("program exited with status 0"));
    assert!(hb.finish().success());
}

/// `tax_on` has no `.await`: armed, its patch's future runs to its end
/// within the program future's first poll (so the program's future never
/// waits and its awaiter keeps no wait state). A breakpoint stops there
/// with its locals and `finish` returns its value; an edit that adds an
/// `.await` is refused with the reason, and the program runs on.
#[test]
fn an_async_fn_that_never_waits_stops_and_refuses_an_edit_that_would_make_it_wait() {
    let dir = scratch_tasks("async-never-waits");
    let shop = dir.join("src/shop.rs");
    let original = std::fs::read_to_string(&shop).unwrap();
    let at = line_of(SHOP, "let tenth = sum / 10;");
    let mut hb = Driver::start(&dir, &["3"]);
    hb.wait_for("the start", |l| l.starts_with("started async-never-waits"));
    hb.send(&format!("break src/shop.rs:{at} if sum == 34"));
    hb.wait_for("armed", |l| l.contains("in `tax_on`: armed in "));
    hb.send("continue");
    let stop = hb.wait_for("the stop in tax_on", stopped);
    assert!(stop.starts_with(&format!("stopped (breakpoint 1) at src/shop.rs:{at} in `tax_on`")), "{stop}");
    hb.send("locals");
    hb.wait_for("the sum", |l| l == "sum: u32 = 34");
    hb.send("finish");
    let ret = hb.wait_for("the return", stopped);
    assert!(ret.starts_with("stopped (returned 3) at src/shop.rs:"), "{ret}");
    let edited = original.replace("    let tenth = sum / 10;\n", "    tokio::task::yield_now().await; let tenth = sum / 10;\n");
    assert_ne!(edited, original);
    std::fs::write(&shop, &edited).unwrap();
    hb.wait_for("the refusal", |l| l.contains(&format!("src/shop.rs:{}: refusing the edit of `tax_on`: it adds an `.await`", at - 1)));
    hb.send("delete 1");
    hb.send("continue");
    hb.wait_for("the grand total", |l| l == "tasks: grand total 124");
    hb.wait_for("the exit", |l| l.contains("program exited with status 0"));
    assert!(hb.finish().success());
}

/// `trait Audit { async fn audit(&self, ..) { .. } }`, kept by `Order` and
/// by `Ledger<String>`: the provided body stops in each implementor's
/// instance, and `next` steps over its `.await`.
#[test]
fn an_async_provided_method_stops_in_each_implementor_s_instance() {
    let yields = line_of(SHOP, "tokio::task::yield_now().await;");
    let mut hb = Driver::start_package("tasks", &["1"], "async-provided");
    hb.send(&format!("break shop.rs:{yields}"));
    let covers = hb.wait_for("the instances", |l| l.starts_with("`audit`: covers "));
    assert!(covers.contains("<tasks::shop::Order as tasks::shop::Audit>::audit"), "{covers}");
    assert!(covers.contains("<tasks::shop::Ledger<alloc::string::String> as tasks::shop::Audit>::audit"), "{covers}");
    hb.send("continue");
    let stop = hb.wait_for("the order's audit", stopped);
    assert!(stop.starts_with(&format!("stopped (breakpoint 1) at {SHOP}:{yields} in `audit`")), "{stop}");
    hb.send("locals");
    hb.wait_for("the order", |l| l.starts_with("self: &tasks::shop::Order = Order { id: 1,"));
    hb.send("next");
    let step = hb.wait_for("the step over the await", stopped);
    assert!(step.starts_with(&format!("stopped (step) at {SHOP}:{} in `audit`", yields + 1)), "{step}");
    hb.send("next");
    hb.wait_for("the next line", stopped);
    hb.send("print len");
    hb.wait_for("the label's length", |l| l.contains("7"));
    hb.send("continue");
    let stop = hb.wait_for("the ledger's audit", stopped);
    assert!(stop.starts_with(&format!("stopped (breakpoint 1) at {SHOP}:{yields} in `audit`")), "{stop}");
    hb.send("locals");
    hb.wait_for("the ledger", |l| l.starts_with("self: &tasks::shop::Ledger<alloc::string::String>"));
    hb.send("delete 1");
    hb.send("continue");
    hb.wait_for("the audit's result", |l| l == "tasks: order 1 receipts 16 16 ledgers 19 19 audited true");
    hb.wait_for("the exit", |l| l.contains("program exited with status 0"));
    assert!(hb.finish().success());
}

/// A release build: patched async fns await futures of the program's
/// other async fns and the program awaits theirs. Each async fn's future
/// must have the same layout in the patch as in the program (the patch
/// build gives every async fn the program's prologue): before, a patch of
/// `total` wrote `price`'s future with another layout ("`async fn` resumed
/// after completion") and `book`'s crashed.
#[test]
fn patched_async_fns_compute_right_in_a_release_build() {
    let summed = line_of(SHOP, "sum += price;");
    let awaits = line_of(SHOP, "let cost = order.price(item).await;");
    let state = support::workspace().join("target/hotbreak/test-state").join(support::fresh_state("async-release"));
    let mut hb = Driver::start_with(support::workspace(), &["--release", "-p", "tasks"], &["3"], &state);
    let mut id = 0;
    for (line, function) in [(line_of(SHOP, "let tenth = sum / 10;"), "tax_on"), (summed, "total"), (line_of(SHOP, "let base = item * 10;"), "price"), (line_of(SHOP, "self.booked += 1;"), "book"), (line_of(SHOP, "let len = self.name().len();"), "audit")] {
        id += 1;
        hb.send(&format!("break shop.rs:{line} if false"));
        hb.wait_for("armed", |l| l.contains(&format!("breakpoint {id} at {SHOP}:{line} in `{function}`: armed in ")));
    }
    hb.send(&format!("break shop.rs:{awaits} if order.id == 2 && item == 2"));
    hb.wait_for("armed", |l| l.contains(&format!("breakpoint 6 at {SHOP}:{awaits} in `receipt`: armed in ")));
    hb.send("continue");
    let stop = hb.wait_for("a stop in receipt", stopped);
    assert!(stop.starts_with(&format!("stopped (breakpoint 6) at {SHOP}:{awaits} in `receipt`")), "{stop}");
    hb.send("locals");
    hb.wait_for("the item", |l| l == "item: u32 = 2");
    hb.send("next");
    let step = hb.wait_for("the step over the await", stopped);
    assert!(step.starts_with(&format!("stopped (step) at {SHOP}:{} in `receipt`", awaits + 1)), "{step}");
    hb.send("print cost");
    hb.wait_for("the awaited price", |l| l.contains("22"));
    hb.send("delete 6");
    hb.send("continue");
    hb.wait_for("the grand total", |l| l == "tasks: grand total 124");
    // Tasks finish in any order: each one's line, as a plain run prints it.
    for (id, total) in [(1, 12), (2, 37), (3, 75)] {
        let n = 16 * id;
        for want in [format!("tasks: order {id} total {total}"), format!("tasks: order {id} receipts {n} {n} ledgers 19 19 audited true")] {
            assert!(hb.seen.contains(&want), "{want} missing from:\n{}", hb.seen.join("\n"));
        }
    }
    hb.wait_for("the exit", |l| l.contains("program exited with status 0"));
    assert!(hb.finish().success());
}
