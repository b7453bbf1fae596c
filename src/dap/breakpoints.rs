//! The editor's breakpoints and the session's. An editor sends the whole
//! set for a source (or every function breakpoint) each time; the adapter
//! keeps those it already has, deletes the ones gone and adds the new
//! ones with `break` commands. Its own ids stay fixed while the session
//! numbers a breakpoint only once it is armed.

use dap::types::{Breakpoint, Source};
use serde::Deserialize;
use std::path::Path;

/// `setBreakpoints` arguments, from the protocol's schema: the `dap`
/// crate's `SourceBreakpoint` misses `rename_all = "camelCase"`, so it
/// drops `hitCondition` and `logMessage` without a word.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetBreakpointsArgs {
    pub source: SourceArg,
    #[serde(default)]
    pub breakpoints: Vec<SourceBp>,
}

#[derive(Debug, Deserialize)]
pub struct SourceArg {
    pub path: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceBp {
    pub line: i64,
    pub condition: Option<String>,
    pub hit_condition: Option<String>,
    pub log_message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// An absolute path and a line.
    Line { path: String, line: u32 },
    Function(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub place: Place,
    pub condition: Option<String>,
    pub hits: Option<String>,
    pub log: Option<String>,
}

#[derive(Debug, Clone)]
pub struct DapBp {
    pub id: i64,
    pub wanted: Wanted,
    /// The session's number, once armed.
    pub session: Option<u32>,
    /// The line it is armed at (an edit may move it).
    pub line: Option<u32>,
    pub verified: bool,
    pub message: Option<String>,
}

#[derive(Default)]
pub struct Table {
    pub list: Vec<DapBp>,
    next: i64,
}

/// What one `setBreakpoints`/`setFunctionBreakpoints` changes.
pub struct Change {
    /// Session breakpoints to delete.
    pub delete: Vec<u32>,
    /// New breakpoints (adapter ids) to arm, in order.
    pub add: Vec<i64>,
    /// The answer, in the request's order.
    pub ids: Vec<i64>,
}

impl Table {
    /// Makes the set of breakpoints for which `in_scope` holds `wanted`.
    pub fn replace(&mut self, in_scope: impl Fn(&Place) -> bool, wanted: Vec<Wanted>) -> Change {
        let (mut mine, others): (Vec<DapBp>, Vec<DapBp>) = self.list.drain(..).partition(|b| in_scope(&b.wanted.place));
        self.list = others;
        let mut change = Change { delete: Vec::new(), add: Vec::new(), ids: Vec::new() };
        for w in wanted {
            if let Some(at) = mine.iter().position(|b| b.wanted == w) {
                let kept = mine.remove(at);
                change.ids.push(kept.id);
                self.list.push(kept);
                continue;
            }
            self.next += 1;
            let message = Some("building the function's patch…".to_string());
            self.list.push(DapBp { id: self.next, wanted: w, session: None, line: None, verified: false, message });
            change.ids.push(self.next);
            change.add.push(self.next);
        }
        change.delete = mine.iter().filter_map(|b| b.session).collect();
        change
    }

    pub fn get_mut(&mut self, id: i64) -> Option<&mut DapBp> {
        self.list.iter_mut().find(|b| b.id == id)
    }

    pub fn by_session(&mut self, session: u32) -> Option<&mut DapBp> {
        self.list.iter_mut().find(|b| b.session == Some(session))
    }
}

impl DapBp {
    /// The line-mode command that sets it.
    pub fn command(&self) -> String {
        let w = &self.wanted;
        let mut line = match &w.place {
            Place::Line { path, line } => format!("break {path}:{line}"),
            Place::Function(name) => format!("break {name}"),
        };
        if let Some(c) = w.condition.as_deref().filter(|c| !c.trim().is_empty()) {
            line.push_str(&format!(" if {}", c.trim()));
        }
        if let Some(h) = w.hits.as_deref().filter(|h| !h.trim().is_empty()) {
            line.push_str(&format!(" hits {}", h.trim()));
        }
        if let Some(l) = w.log.as_deref() {
            line.push_str(&format!(" log \"{}\"", l.trim_end_matches('\n')));
        }
        line
    }

    /// As the protocol says it; `workspace` makes the session's file names
    /// absolute.
    pub fn to_dap(&self, file: Option<&str>, workspace: &Path) -> Breakpoint {
        let path = match (&self.wanted.place, file) {
            (_, Some(f)) => Some(workspace.join(f).display().to_string()),
            (Place::Line { path, .. }, None) => Some(path.clone()),
            (Place::Function(_), None) => None,
        };
        let line = self.line.or(match &self.wanted.place {
            Place::Line { line, .. } => Some(*line),
            Place::Function(_) => None,
        });
        Breakpoint {
            id: Some(self.id),
            verified: self.verified,
            message: self.message.clone(),
            source: path.map(source),
            line: line.map(i64::from),
            ..Default::default()
        }
    }
}

/// A source by its absolute path.
pub fn source(path: String) -> Source {
    let name = Path::new(&path).file_name().map(|n| n.to_string_lossy().into_owned());
    Source { name, path: Some(path), ..Default::default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u32, condition: Option<&str>) -> Wanted {
        Wanted { place: Place::Line { path: "/w/src/main.rs".into(), line }, condition: condition.map(String::from), hits: None, log: None }
    }

    #[test]
    fn a_new_set_keeps_what_is_unchanged_and_deletes_the_rest() {
        let mut t = Table::default();
        let first = t.replace(|p| matches!(p, Place::Line { .. }), vec![at(3, None), at(5, Some("x > 1"))]);
        assert_eq!((first.ids.clone(), first.add.clone()), (vec![1, 2], vec![1, 2]));
        t.get_mut(1).unwrap().session = Some(10);
        t.get_mut(2).unwrap().session = Some(11);
        // Line 5's condition changed: a new breakpoint; line 3's is kept.
        let second = t.replace(|p| matches!(p, Place::Line { .. }), vec![at(5, Some("x > 2")), at(3, None)]);
        assert_eq!((second.ids, second.add, second.delete), (vec![3, 1], vec![3], vec![11]));
        assert_eq!(t.get_mut(3).unwrap().command(), "break /w/src/main.rs:5 if x > 2");
    }

    #[test]
    fn a_clients_breakpoints_keep_their_hit_condition_and_log_message() {
        let args: SetBreakpointsArgs = serde_json::from_str(
            r#"{"source":{"path":"/w/a.rs","name":"a.rs"},"breakpoints":[{"line":3,"hitCondition":"% 2","logMessage":"x={x}","condition":"x > 1"}]}"#,
        )
        .unwrap();
        let b = &args.breakpoints[0];
        assert_eq!((b.condition.as_deref(), b.hit_condition.as_deref(), b.log_message.as_deref()), (Some("x > 1"), Some("% 2"), Some("x={x}")));
    }

    #[test]
    fn hit_conditions_and_log_messages_become_clauses() {
        let w = Wanted { place: Place::Function("scale".into()), condition: None, hits: Some(">= 3".into()), log: Some("x is {x}".into()) };
        let bp = DapBp { id: 1, wanted: w, session: None, line: None, verified: false, message: None };
        assert_eq!(bp.command(), "break scale hits >= 3 log \"x is {x}\"");
    }
}
