//! Running frames of a patched function (issue 19): which loop sites of
//! the program can hand their frame to the patch, and where the patch finds
//! each local there (the runtime's `osr.rs`, the rewriter's `resume.rs`).

use hotbreak::protocol::LoopArm;
use hotbreak_dwarf::Program;
use hotbreak_rewriter::Resumed;

/// What arming says about the function's running frames.
#[derive(Debug, Clone, Default)]
pub struct Switching {
    pub arms: Vec<LoopArm>,
    /// One line per loop site that cannot switch, with the reason.
    pub refused: Vec<String>,
}

impl Switching {
    pub fn describe(&self, function: &str) -> Option<String> {
        let mut lines: Vec<u32> = self.arms.iter().map(|a| a.line).collect();
        lines.sort();
        lines.dedup();
        let mut out = Vec::new();
        if !lines.is_empty() {
            let list: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            out.push(format!("running frames of `{function}` switch to the new code at the next iteration of the loop at line {}", list.join(", ")));
        }
        out.extend(self.refused.iter().map(|r| format!("running frames of `{function}` keep the old code until it returns: {r}")));
        (!out.is_empty()).then(|| out.join("\n"))
    }
}

/// The loop sites at runtime addresses `sites` (of the program, whose DWARF
/// `program` holds at its load bias) that `resumed` can continue.
pub fn loop_arms(program: &Program, sites: &[u64], resumed: &Resumed) -> Switching {
    let mut out = Switching::default();
    for &code in sites {
        let Some(site) = program.sites_at(code).into_iter().next() else {
            out.refused.push(format!("no debug info for its loop at {code:#x}"));
            continue;
        };
        let line = site.line;
        let Some(resume) = resumed.sites.iter().find(|s| s.line == line) else {
            out.refused.push(format!("the patch cannot resume the loop at line {line}"));
            continue;
        };
        let slots = program.frame_slots(&site, code);
        let mut vars = Vec::with_capacity(resumed.locals.len());
        let mut missing = None;
        for (k, wanted) in resumed.locals.iter().enumerate() {
            let found = slots.iter().rev().find(|s| s.name == wanted.name && s.decl_line == wanted.line).and_then(|s| s.slot);
            match found {
                Some(slot) => vars.push(slot),
                None if resume.needs.contains(&k) => {
                    missing = Some(format!("`{}` (line {}) is not in the frame's debug info at the loop at line {line}", wanted.name, wanted.line));
                    break;
                }
                None => vars.push((0, false)),
            }
        }
        match missing {
            Some(why) => out.refused.push(why),
            None => out.arms.push(LoopArm { code, line, vars }),
        }
    }
    out
}

/// The uses rustc says move out of a resident local (E0507 on one of the
/// rewrite's `(*__hb_vN)`): their input positions.
pub fn moves_in(resumed: &Resumed, errors: &[&hotbreak_hotreload::Diagnostic]) -> Vec<(u32, u32)> {
    let mut found = Vec::new();
    for e in errors.iter().filter(|e| e.message.starts_with("cannot move out of `*__hb_v")) {
        let Some(span) = e.spans.iter().find(|s| s.primary) else { continue };
        if let Some(hit) = resumed.uses.iter().find(|(line, start, end, _)| *line == span.line_start && *start <= span.col_start && span.col_start < *end) {
            found.push(hit.3);
        }
    }
    found
}
