//! `print EXPR` and `set PLACE = EXPR` at a stop, in real sessions on the
//! unmodified `plain` package: each kind of expression gives the value the
//! program has, `set` changes what it computes next, and wrong input gets
//! its message while the session and the program go on.

mod support;

use support::{assert_in_order, fresh_state, hotbreak, line_of};

const MAIN: &str = "examples/plain/src/main.rs";
const LEDGER: &str = "examples/plain/src/ledger.rs";

fn run(script: &str, state: &str) -> String {
    let run = hotbreak(&["run", "-p", "plain", "--batch", "--", "5"], script, &fresh_state(state));
    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    run.stdout
}

#[test]
fn expressions_at_a_stop_in_main_evaluate_and_set_changes_what_the_program_computes() {
    let at = line_of(MAIN, "seen.push(balance as u64);");
    let script = [
        &format!("break main.rs:{at} if round == 1"),
        "continue",
        // Closures and iterator chains, with a turbofish.
        "print seen.iter().map(|b| b * 2).sum::<u64>()",
        // A macro with an inline argument naming a local.
        "print format!(\"{line}!\")",
        // A field of a struct without Debug: from debug info, no build.
        "print account.balance",
        "print account.balance + 0",
        // A call to the program's own function, indexing, a const.
        "print plain::double(round) + seen[0] + plain::OPENING as u64",
        // A method returning a borrow, and a closure over it.
        "print account.largest().map(|e| e.amount)",
        // Temporaries without Debug: rendered from debug info while they live.
        "print plain::ledger::Report::of(&account)",
        "print plain::ledger::Filter { at_least: round as i64 + 4 }",
        // Moved into `post` on the line before: not available.
        "print entry",
        // Immutable binding.
        "set balance = 5",
        // A panic inside the expression.
        "print seen.len() / (round as usize - 1)",
        // Does not compile.
        "print nope * 2",
        // The thread is still stopped, the locals intact.
        "print balance",
        "set account.balance = 1000",
        // The same expression again: its library runs again, no build.
        "print account.balance + 0",
        "set seen[0] = 7",
        "print seen",
        "delete 1",
        "continue",
        "",
    ]
    .join("\n");
    let out = run(&script, "evaluate-main");
    assert_in_order(
        &out,
        &[
            &format!("stopped (breakpoint 1) at {MAIN}:{at} in `main`"),
            "seen.iter().map(|b| b * 2).sum::<u64>(): u64 = 200",
            "format!(\"{line}!\"): alloc::string::String = \"credit 2!\"",
            "account.balance: i64 = 102",
            "account.balance + 0: i64 = 102",
            "plain::double(round) + seen[0] + plain::OPENING as u64: u64 = 202",
            "account.largest().map(|e| e.amount): core::option::Option<i64> = Some(100)",
            "plain::ledger::Report::of(&account): plain::ledger::Report<'_> = Report { account: Account { name: \"cash\", balance: 102, history: [Entry { amount: 100, credit: true }, Entry { amount: 0, credit: true }, Entry { amount: 2, credit: true }] } }",
            "plain::ledger::Filter { at_least: round as i64 + 4 }: plain::ledger::Filter = Filter { at_least: 5 }",
            "error: ",
            "`entry` is not available at this stop",
            "error: ",
            "cannot assign to `balance`, as it is not declared as mutable",
            "error: the expression panicked: attempt to divide by zero\n",
            "error: ",
            "cannot find value `nope` in this scope",
            "balance: i64 = 102",
            "account.balance = 1000",
            "account.balance + 0: i64 = 1000",
            "seen[0] = 7",
            "seen: alloc::vec::Vec<u64> = [7]",
            // The assignment took: the next post starts from 1000.
            "plain: round 1: credit 2 -> balance 102",
            "plain: round 2: debit 8 -> balance 992",
            "program exited with status 0",
        ],
    );
    // Compiled once: the second `print account.balance + 0` reused it;
    // a field path into a local is read from debug info, not compiled.
    assert_eq!(out.matches("compiling `account.balance + 0`").count(), 1, "{out}");
    assert_eq!(out.matches("compiling `account.balance`").count(), 0, "{out}");
}

#[test]
fn a_method_of_a_struct_without_debug_reads_and_writes_self_and_the_crates_private_items() {
    let at = line_of(LEDGER, "let before = self.balance;");
    let script = [
        &format!("break ledger.rs:{at}"),
        "continue",
        // `Account` has no Debug: its fields come from the debug info.
        "locals",
        "print self",
        "print self.name",
        "print self.name.len() + self.history.len()",
        "print self.name.to_uppercase()",
        "print entry.signed() * 2 + delta",
        // A private static of a private module, through the crate's path.
        "print crate::util::fold(1 << 32 | 5)",
        "set self.balance = 40",
        // A watch whose value has no Debug either; the running call keeps
        // its code, the next call shows it.
        "watch Filter { at_least: delta * 2 + 1 }",
        "continue",
        "delete 1",
        "continue",
        "",
    ]
    .join("\n");
    let out = run(&script, "evaluate-method");
    assert_in_order(
        &out,
        &[
            &format!("stopped (breakpoint 1) at {LEDGER}:{at} in `post`"),
            "self: &mut plain::ledger::Account = Account { name: \"cash\", balance: 0, history: [] }",
            "entry: plain::ledger::entry::Entry = Entry { amount: 100, credit: true }",
            "self: &mut plain::ledger::Account = Account { name: \"cash\", balance: 0, history: [] }\n  name: \"cash\"\n  balance: 0\n  history: []",
            "self.name: alloc::string::String = \"cash\"",
            "self.name.len() + self.history.len(): usize = 4",
            "self.name.to_uppercase(): alloc::string::String = \"CASH\"",
            "entry.signed() * 2 + delta: i64 = 300",
            "crate::util::fold(1 << 32 | 5): u64 = 4",
            "self.balance = 40",
            &format!("stopped (breakpoint 1) at {LEDGER}:{at} in `post`"),
            "watch Filter { at_least: delta * 2 + 1 } = Filter { at_least: 1 }",
            // The opening post now ends at 140, and each round adds to it.
            "plain: round 0: credit 0 -> balance 140",
            "program exited with status 0",
        ],
    );
}

#[test]
fn an_expression_that_never_ends_is_given_up_on_and_the_session_goes_on() {
    let at = line_of(MAIN, "seen.push(balance as u64);");
    let script = [&format!("break main.rs:{at}"), "continue", "print loop { std::hint::spin_loop() }", "info breakpoints", "quit", ""].join("\n");
    let state = fresh_state("evaluate-loop");
    let run = {
        // SAFETY of the test's own environment: set before the child starts.
        std::env::set_var("HOTBREAK_EVAL_LIMIT_MS", "1500");
        hotbreak(&["run", "-p", "plain", "--batch", "--", "5"], &script, &state)
    };
    assert_in_order(&run.stdout, &["the expression still runs after 1.5s", "1 examples/plain/src/main.rs:", "program killed"]);
}

#[test]
fn a_release_build_without_debug_info_still_shows_values_without_debug() {
    // The release profile has no debug info; patches carry their own.
    let at = line_of(LEDGER, "let before = self.balance;");
    let script = [&format!("break ledger.rs:{at}"), "continue", "locals", "print self.balance + delta", "delete 1", "continue", ""].join("\n");
    let run = hotbreak(&["run", "--release", "-p", "plain", "--batch", "--", "2"], &script, &fresh_state("evaluate-release"));
    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    assert_in_order(
        &run.stdout,
        &[
            "self: &mut plain::ledger::Account = Account { name: \"cash\", balance: 0, history: [] }",
            "self.balance + delta: i64 = 100",
            "program exited with status 0",
        ],
    );
}
