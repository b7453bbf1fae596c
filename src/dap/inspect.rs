//! Looking at a stop: `stackTrace`, `scopes`, `variables`, `setVariable`
//! and `evaluate`, each answered with `backtrace`, `frame N`, `locals`,
//! `print` and `set`. A value expands one level per request: its parts
//! come from `print PATH` when the editor opens it.

use super::breakpoints::source;
use super::protocol::Request;
use super::server::Server;
use super::variables::{FrameRef, VarRef};
use crate::session::command::parse_path;
use crate::session::output::Out;
use crate::session::parts::{child_path, has_parts, parts};
use anyhow::{anyhow, bail, Result};
use dap::requests::{EvaluateArguments, ScopesArguments, SetVariableArguments, StackTraceArguments, VariablesArguments};
use dap::types::{EvaluateArgumentsContext, Scope, StackFrame, Variable};
use serde_json::json;

impl Server {
    pub(super) fn stack_trace(&mut self, r: &Request) -> Result<()> {
        let args: StackTraceArguments = Self::args(r)?;
        let thread = args.thread_id as u64;
        self.select_thread(thread)?;
        let outs = self.command_ok("backtrace")?;
        let rows = outs
            .into_iter()
            .find_map(|o| match o {
                Out::Backtrace { rows, .. } => Some(rows),
                _ => None,
            })
            .ok_or_else(|| anyhow!("the session listed no frames"))?;
        let start = args.start_frame.unwrap_or(0).max(0) as usize;
        let levels = args.levels.filter(|l| *l > 0).map_or(usize::MAX, |l| l as usize);
        let frames: Vec<StackFrame> = rows
            .iter()
            .enumerate()
            .skip(start)
            .take(levels)
            .map(|(n, row)| {
                let id = self.refs.frame_id(FrameRef { thread, frame: n });
                let path = row.file.as_ref().map(|f| self.workspace.join(f).display().to_string());
                StackFrame {
                    id,
                    name: row.function.clone(),
                    source: path.map(source),
                    line: row.line as i64,
                    column: if row.file.is_some() { row.column.max(1) as i64 } else { 0 },
                    ..Default::default()
                }
            })
            .collect();
        self.out.respond(r, json!({ "stackFrames": frames, "totalFrames": rows.len() }));
        Ok(())
    }

    /// Makes `frame` the session's selected frame.
    fn select_frame(&mut self, frame: FrameRef) -> Result<()> {
        self.select_thread(frame.thread)?;
        self.command_ok(&format!("frame {}", frame.frame)).map(drop)
    }

    fn frame_of(&self, id: i64) -> Result<FrameRef> {
        self.refs.frame(id).ok_or_else(|| anyhow!("frame {id} is not known (the thread ran since, or it never was one)"))
    }

    pub(super) fn scopes(&mut self, r: &Request) -> Result<()> {
        let args: ScopesArguments = Self::args(r)?;
        let frame = self.frame_of(args.frame_id)?;
        let locals = self.refs.add(VarRef::Locals(frame));
        let mut scopes = vec![Scope { name: "Locals".into(), variables_reference: locals, expensive: false, ..Default::default() }];
        let watches = self.stops.get(&frame.thread).map_or(0, |s| s.watches.len());
        if frame.frame == 0 && watches > 0 {
            let reference = self.refs.add(VarRef::Watches(frame.thread));
            scopes.push(Scope { name: "Watches".into(), variables_reference: reference, named_variables: Some(watches as i64), expensive: false, ..Default::default() });
        }
        self.out.respond(r, json!({ "scopes": scopes }));
        Ok(())
    }

    pub(super) fn variables(&mut self, r: &Request) -> Result<()> {
        let args: VariablesArguments = Self::args(r)?;
        let var = self.refs.get(args.variables_reference).cloned().ok_or_else(|| anyhow!("variablesReference {} is not known (the thread ran since)", args.variables_reference))?;
        let variables: Vec<Variable> = match var {
            VarRef::Locals(frame) => {
                self.select_frame(frame)?;
                let outs = self.command_ok("locals")?;
                let vars = outs.into_iter().find_map(|o| match o {
                    Out::Locals { vars } => Some(vars),
                    _ => None,
                });
                vars.unwrap_or_default()
                    .into_iter()
                    .map(|v| {
                        let reference = if has_parts(&v.value) { self.refs.add(VarRef::Path(frame, v.name.clone())) } else { 0 };
                        Variable {
                            name: v.name.clone(),
                            value: v.value,
                            type_field: Some(v.type_name),
                            evaluate_name: Some(v.name),
                            variables_reference: reference,
                            ..Default::default()
                        }
                    })
                    .collect()
            }
            VarRef::Watches(thread) => {
                let watches = self.stops.get(&thread).map(|s| s.watches.clone()).unwrap_or_default();
                watches.into_iter().map(|(expr, value)| Variable { name: expr, value, ..Default::default() }).collect()
            }
            VarRef::Path(frame, path) => {
                self.select_frame(frame)?;
                let (_, _, fields, truncated) = self.print(&path)?;
                let mut vars: Vec<Variable> = parts(Some(&path), &fields).iter().map(|p| self.refs.part(Some(frame), p)).collect();
                if truncated {
                    vars.push(Variable { name: "…".into(), value: "(more parts than are listed)".into(), ..Default::default() });
                }
                vars
            }
            VarRef::Parts(list) => list.iter().map(|p| self.refs.part(None, p)).collect(),
        };
        self.out.respond(r, json!({ "variables": variables }));
        Ok(())
    }

    /// `print EXPR` at the selected frame: type, value, parts, truncated.
    fn print(&mut self, expr: &str) -> Result<(String, String, Vec<(String, String)>, bool)> {
        let outs = self.command_ok(&format!("print {expr}"))?;
        let mut value = None;
        let mut rest = Vec::new();
        for o in outs {
            match o {
                Out::Value { type_name, value: v, fields, truncated, .. } if value.is_none() => value = Some((type_name, v, fields, truncated)),
                other => rest.push(other),
            }
        }
        // `compiling …` notes go to the console.
        self.publish(rest);
        let (type_name, v, fields, truncated) = value.ok_or_else(|| anyhow!("`{expr}` gave no value"))?;
        Ok((type_name, v.clone(), fields, truncated))
    }

    pub(super) fn set_variable(&mut self, r: &Request) -> Result<()> {
        let args: SetVariableArguments = Self::args(r)?;
        let var = self.refs.get(args.variables_reference).cloned().ok_or_else(|| anyhow!("variablesReference {} is not known (the thread ran since)", args.variables_reference))?;
        let (frame, place) = match var {
            VarRef::Locals(frame) => (frame, args.name.clone()),
            VarRef::Path(frame, path) => {
                let place = child_path(&path, &args.name).ok_or_else(|| anyhow!("`{}` of `{path}` cannot be named as a place to assign", args.name))?;
                (frame, place)
            }
            VarRef::Watches(_) => bail!("a watch shows an expression: it is not a place to assign"),
            VarRef::Parts(_) => bail!("a part of an evaluated value is a temporary: assign to a local or its fields"),
        };
        self.select_frame(frame)?;
        let mut outs = self.command_ok(&format!("set {place} = {}", args.value))?;
        let at = outs.iter().position(|o| matches!(o, Out::Value { .. })).ok_or_else(|| anyhow!("`set {place}` gave no value"))?;
        let Out::Value { value, .. } = outs.remove(at) else { unreachable!() };
        self.publish(outs);
        self.out.respond(r, json!({ "value": value }));
        Ok(())
    }

    pub(super) fn evaluate(&mut self, r: &Request) -> Result<()> {
        let args: EvaluateArguments = Self::args(r)?;
        let expr = args.expression.trim().to_string();
        let context = args.context.clone().unwrap_or(EvaluateArgumentsContext::Repl);
        // In the debug console `:COMMAND` is any line-mode command.
        if let (EvaluateArgumentsContext::Repl, Some(line)) = (&context, expr.strip_prefix(':')) {
            let mut outs = self.command(line)?;
            let error = super::server::take_errors(&mut outs);
            let text: Vec<String> = outs.iter().map(|o| o.to_string()).filter(|t| !t.is_empty()).collect();
            // Stops and exits it caused are events too.
            outs.retain(|o| matches!(o, Out::Stopped(_) | Out::Exited { .. } | Out::Armed { .. }));
            self.publish(outs);
            if let Some(e) = error {
                bail!("{e}");
            }
            self.out.respond(r, json!({ "result": text.join("\n"), "variablesReference": 0 }));
            return Ok(());
        }
        let frame = match args.frame_id {
            Some(id) => self.frame_of(id)?,
            None => {
                let thread = *self.stops.keys().next().ok_or_else(|| anyhow!("no thread is stopped: expressions are evaluated at a stop"))?;
                FrameRef { thread, frame: 0 }
            }
        };
        self.select_frame(frame)?;
        if matches!(context, EvaluateArgumentsContext::Hover) {
            // A hover must not compile and run code (the console does): a
            // local of this frame and its fields only.
            let refuse = || anyhow!("hovers show locals and their fields; evaluate `{expr}` in the debug console");
            let (name, _) = parse_path(&expr).map_err(|_| refuse())?;
            let locals = self.command_ok("locals")?;
            let known = locals.iter().any(|o| matches!(o, Out::Locals { vars } if vars.iter().any(|v| v.name == name)));
            if !known {
                return Err(refuse());
            }
        }
        let (type_name, value, fields, _) = self.print(&expr)?;
        let reference = match (fields.is_empty(), parse_path(&expr).is_ok()) {
            (true, _) => 0,
            (false, true) => self.refs.add(VarRef::Path(frame, expr.clone())),
            (false, false) => self.refs.add(VarRef::Parts(parts(None, &fields))),
        };
        let mut body = json!({ "result": value, "variablesReference": reference });
        if !type_name.is_empty() {
            body["type"] = json!(type_name);
        }
        self.out.respond(r, body);
        Ok(())
    }
}
