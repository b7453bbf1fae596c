//! The variables and parameters of a function activation in scope at an
//! address, and where their values are: DWARF location expressions (and
//! location lists) evaluated against one frame's registers and memory.

use gimli::{AttributeValue, EvaluationResult, Location, UnitOffset, Value};

use crate::load::{Object, R};
use crate::scopes::{attr_through_origin, resolve_ref, DieRef, Site};
use crate::{Memory, Program, TypeRef};

/// What one frame's registers are known to hold.
#[derive(Clone, Debug, Default)]
pub struct Registers {
    /// The frame's canonical frame address (`DW_OP_call_frame_cfa`).
    pub cfa: u64,
    /// (DWARF register number, value): those the unwinder recovered.
    pub values: Vec<(u16, u64)>,
}

impl Registers {
    fn get(&self, r: u16) -> Option<u64> {
        self.values.iter().find(|v| v.0 == r).map(|v| v.1)
    }
}

/// Where a variable's value is at this address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// In memory, at this runtime address.
    Address(u64),
    /// DWARF says it has no location here.
    OptimizedOut,
    /// It has one, but not one this frame can read (the reason).
    Unavailable(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variable {
    pub name: String,
    pub ty: Option<TypeRef>,
    pub parameter: bool,
    pub place: Place,
}

impl Program {
    /// The parameters and variables of `site` whose scope covers runtime
    /// address `pc` (as given to `sites_at`), outermost scope first, an
    /// inner declaration hiding an outer one of the same name.
    pub fn variables(&self, site: &Site, pc: u64, regs: &Registers, mem: &dyn Memory) -> Vec<Variable> {
        let mut out: Vec<Variable> = Vec::new();
        for scope in &site.scopes {
            let Some(obj) = self.object(scope.object) else { continue };
            for v in scope_variables(obj, *scope, site.subprogram, pc, regs, mem) {
                out.retain(|o| o.name != v.name);
                out.push(v);
            }
        }
        out
    }
}

fn scope_variables(obj: &Object, scope: DieRef, subprogram: DieRef, pc: u64, regs: &Registers, mem: &dyn Memory) -> Vec<Variable> {
    let unit_ix = scope.unit as usize;
    let unit = &obj.units[unit_ix];
    let mut out = Vec::new();
    let Ok(mut tree) = unit.entries_tree(Some(UnitOffset(scope.offset as usize))) else { return out };
    let Ok(root) = tree.root() else { return out };
    let mut children = root.children();
    while let Ok(Some(child)) = children.next() {
        let e = child.entry();
        let parameter = match e.tag() {
            gimli::DW_TAG_formal_parameter => true,
            gimli::DW_TAG_variable => false,
            _ => continue,
        };
        let name = attr_through_origin(obj, unit_ix, e.offset(), gimli::DW_AT_name).and_then(|(u, v)| {
            let s = obj.dwarf.attr_string(&obj.units[u], v).ok()?;
            Some(gimli::Reader::to_string_lossy(&s).ok()?.into_owned())
        });
        let Some(name) = name else { continue };
        let ty = attr_through_origin(obj, unit_ix, e.offset(), gimli::DW_AT_type).and_then(|(u, v)| {
            let (tu, off) = resolve_ref(obj, u, v)?;
            Some(TypeRef { object: scope.object, unit: tu as u32, offset: off.0 as u64 })
        });
        let place = match e.attr_value(gimli::DW_AT_location) {
            None if e.attr_value(gimli::DW_AT_const_value).is_some() => Place::Unavailable("a constant".into()),
            None => Place::OptimizedOut,
            Some(attr) => locate(obj, unit, attr, subprogram, pc, regs, mem),
        };
        out.push(Variable { name, ty, parameter, place });
    }
    out
}

/// Evaluates a `DW_AT_location` (an expression, or a list of them by address).
fn locate(obj: &Object, unit: &gimli::Unit<R>, attr: AttributeValue<R>, subprogram: DieRef, pc: u64, regs: &Registers, mem: &dyn Memory) -> Place {
    let file_pc = pc.wrapping_sub(obj.bias);
    let expr = match attr {
        AttributeValue::Exprloc(e) => e,
        other => {
            let Ok(Some(mut list)) = obj.dwarf.attr_locations(unit, other) else { return Place::Unavailable("an unreadable location list".into()) };
            let mut found = None;
            while let Ok(Some(entry)) = list.next() {
                if entry.range.begin <= file_pc && file_pc < entry.range.end {
                    found = Some(entry.data);
                    break;
                }
            }
            match found {
                Some(e) => e,
                None => return Place::OptimizedOut,
            }
        }
    };
    match evaluate(obj, unit, expr, subprogram, regs, mem, true) {
        Ok(Location::Address { address }) => Place::Address(address),
        Ok(Location::Empty) => Place::OptimizedOut,
        Ok(Location::Register { register }) => Place::Unavailable(format!("in register {}, not kept in memory", register.0)),
        Ok(_) => Place::Unavailable("a computed value".into()),
        Err(why) => Place::Unavailable(why),
    }
}

/// Runs one DWARF expression for this frame; its single location.
fn evaluate(obj: &Object, unit: &gimli::Unit<R>, expr: gimli::Expression<R>, subprogram: DieRef, regs: &Registers, mem: &dyn Memory, frame_base_allowed: bool) -> Result<Location<R>, String> {
    let mut eval = expr.evaluation(unit.encoding());
    let mut step = eval.evaluate().map_err(|e| e.to_string())?;
    for _ in 0..256 {
        step = match step {
            EvaluationResult::Complete => {
                let mut pieces = eval.result();
                if pieces.len() != 1 {
                    return Err("split across registers".into());
                }
                return Ok(pieces.remove(0).location);
            }
            EvaluationResult::RequiresMemory { address, size, .. } => {
                let mut buf = [0u8; 8];
                let n = (size as usize).min(8);
                mem.read(address, &mut buf[..n]).map_err(|e| format!("memory at {address:#x}: {e}"))?;
                eval.resume_with_memory(Value::Generic(u64::from_le_bytes(buf))).map_err(|e| e.to_string())?
            }
            EvaluationResult::RequiresRegister { register, .. } => {
                let v = register_value(regs, register.0)?;
                eval.resume_with_register(Value::Generic(v)).map_err(|e| e.to_string())?
            }
            EvaluationResult::RequiresFrameBase if frame_base_allowed => {
                let base = frame_base(obj, subprogram, regs, mem)?;
                eval.resume_with_frame_base(base).map_err(|e| e.to_string())?
            }
            EvaluationResult::RequiresCallFrameCfa => eval.resume_with_call_frame_cfa(regs.cfa).map_err(|e| e.to_string())?,
            EvaluationResult::RequiresRelocatedAddress(a) => eval.resume_with_relocated_address(a.wrapping_add(obj.bias)).map_err(|e| e.to_string())?,
            EvaluationResult::RequiresIndexedAddress { index, relocate } => {
                let a = obj.dwarf.address(unit, index).map_err(|e| e.to_string())?;
                let a = if relocate { a.wrapping_add(obj.bias) } else { a };
                eval.resume_with_indexed_address(a).map_err(|e| e.to_string())?
            }
            EvaluationResult::RequiresEntryValue(_) => return Err("its value at the function's entry, which is not kept".into()),
            other => return Err(format!("an expression this frame cannot evaluate ({other:?})")),
        };
    }
    Err("an expression that does not end".into())
}

/// The value of a register in this frame: `rsp` and the callee-saved ones
/// the unwinder restored.
fn register_value(regs: &Registers, r: u16) -> Result<u64, String> {
    regs.get(r).ok_or_else(|| {
        let name = match r {
            0 => "rax",
            1 => "rdx",
            2 => "rcx",
            4 => "rsi",
            5 => "rdi",
            8..=11 => "r8-r11",
            _ => "a register",
        };
        format!("held in {name} (dwarf {r}), which a caller's frame does not keep")
    })
}

/// The subprogram's `DW_AT_frame_base`: LLVM says `DW_OP_reg7` (rsp) or
/// `DW_OP_reg6` (rbp), meaning that register's value.
fn frame_base(obj: &Object, subprogram: DieRef, regs: &Registers, mem: &dyn Memory) -> Result<u64, String> {
    let unit = &obj.units[subprogram.unit as usize];
    let e = unit.entry(UnitOffset(subprogram.offset as usize)).map_err(|e| e.to_string())?;
    let Some(AttributeValue::Exprloc(expr)) = e.attr_value(gimli::DW_AT_frame_base) else {
        return Err("no frame base".into());
    };
    match evaluate(obj, unit, expr, subprogram, regs, mem, false)? {
        Location::Register { register } => register_value(regs, register.0),
        Location::Address { address } => Ok(address),
        _ => Err("an unusual frame base".into()),
    }
}
