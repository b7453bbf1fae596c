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
