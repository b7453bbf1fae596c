//! The variables and parameters of a function activation in scope at an
//! address, and where their values are: DWARF location expressions (and
//! location lists) evaluated against one frame's registers and memory.

use gimli::{AttributeValue, EvaluationResult, Location, Piece, Reader as _, UnitOffset, Value};

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
    /// Assembled from registers (and pieces of memory): the value's bytes,
    /// rendered with `Program::render_bytes`.
    Bytes(Vec<u8>),
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
    /// `DW_AT_decl_line` (0 when absent).
    pub decl_line: u32,
}

impl Program {
    /// The parameters and variables of `site` whose scope covers runtime
    /// address `pc` (as given to `sites_at`), outermost scope first, an
    /// inner declaration hiding an outer one of the same name.
    pub fn variables(
        &self,
        site: &Site,
        pc: u64,
        regs: &Registers,
        mem: &dyn Memory,
    ) -> Vec<Variable> {
        let mut out: Vec<Variable> = Vec::new();
        for scope in &site.scopes {
            let Some(obj) = self.object(scope.object) else {
                continue;
            };
            for v in scope_variables(obj, *scope, site.subprogram, pc, regs, mem) {
                out.retain(|o| o.name != v.name);
                out.push(v);
            }
        }
        out
    }
}

/// Where a local of an opt-level-0 frame lives, relative to the frame's
/// `rsp`: `(offset, the slot holds a pointer to it)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameSlot {
    pub name: String,
    pub decl_line: u32,
    pub slot: Option<(i64, bool)>,
}

impl Program {
    /// Every parameter and variable of `site` in scope at `pc`, shadowed
    /// ones too, outermost scope first, with its declaration line and its
    /// stack slot as an offset from `rsp` (frame base `DW_OP_reg7`, as rustc
    /// emits at opt-level 0; anything else has no slot).
    pub fn frame_slots(&self, site: &Site, pc: u64) -> Vec<FrameSlot> {
        // Evaluated against a made-up frame: rsp = BASE, and memory that
        // answers a read at BASE + k with POINTED + k.
        const BASE: u64 = 1 << 44;
        const POINTED: u64 = 1 << 45;
        struct Tagged;
        impl Memory for Tagged {
            fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), String> {
                let v = POINTED.wrapping_add(addr.wrapping_sub(BASE)).to_le_bytes();
                let n = buf.len().min(8);
                buf[..n].copy_from_slice(&v[..n]);
                Ok(())
            }
        }
        let regs = Registers { cfa: 0, values: vec![(7, BASE)] };
        let mut out = Vec::new();
        for scope in &site.scopes {
            let Some(obj) = self.object(scope.object) else { continue };
            let mut seen: Vec<(String, u32)> = Vec::new();
            for v in scope_variables(obj, *scope, site.subprogram, pc, &regs, &Tagged) {
                // A guarded `match` arm's binding comes twice in its scope,
                // the value the arm's body uses, then a reference to it for
                // the guard (same name, same line): the first is the local.
                if seen.contains(&(v.name.clone(), v.decl_line)) {
                    continue;
                }
                seen.push((v.name.clone(), v.decl_line));
                let slot = match v.place {
                    Place::Address(a) if a >= POINTED && a < POINTED + (1 << 40) => Some(((a - POINTED) as i64, true)),
                    Place::Address(a) if a >= BASE - (1 << 32) && a < BASE + (1 << 32) => Some((a as i64 - BASE as i64, false)),
                    _ => None,
                };
                out.push(FrameSlot { name: v.name, decl_line: v.decl_line, slot });
            }
        }
        out
    }
}

fn scope_variables(
    obj: &Object,
    scope: DieRef,
    subprogram: DieRef,
    pc: u64,
    regs: &Registers,
    mem: &dyn Memory,
) -> Vec<Variable> {
    let unit_ix = scope.unit as usize;
    let unit = &obj.units[unit_ix];
    let mut out = Vec::new();
    let Ok(mut tree) = unit.entries_tree(Some(UnitOffset(scope.offset as usize))) else {
        return out;
    };
    let Ok(root) = tree.root() else { return out };
    let mut children = root.children();
    while let Ok(Some(child)) = children.next() {
        let e = child.entry();
        let parameter = match e.tag() {
            gimli::DW_TAG_formal_parameter => true,
            gimli::DW_TAG_variable => false,
            _ => continue,
        };
        let name =
            attr_through_origin(obj, unit_ix, e.offset(), gimli::DW_AT_name).and_then(|(u, v)| {
                let s = obj.dwarf.attr_string(&obj.units[u], v).ok()?;
                Some(gimli::Reader::to_string_lossy(&s).ok()?.into_owned())
            });
        let Some(name) = name else { continue };
        let ty =
            attr_through_origin(obj, unit_ix, e.offset(), gimli::DW_AT_type).and_then(|(u, v)| {
                let (tu, off) = resolve_ref(obj, u, v)?;
                Some(TypeRef {
                    object: scope.object,
                    unit: tu as u32,
                    offset: off.0 as u64,
                })
            });
        let place = match e.attr_value(gimli::DW_AT_location) {
            None => match e.attr_value(gimli::DW_AT_const_value) {
                Some(value) => constant(value),
                None => Place::OptimizedOut,
            },
            Some(attr) => locate(obj, unit, attr, subprogram, pc, regs, mem),
        };
        let decl_line = match e.attr_value(gimli::DW_AT_decl_line) {
            Some(AttributeValue::Udata(l)) => l as u32,
            Some(AttributeValue::Data1(l)) => l as u32,
            Some(AttributeValue::Data2(l)) => l as u32,
            Some(AttributeValue::Data4(l)) => l,
            _ => 0,
        };
        out.push(Variable {
            name,
            ty,
            parameter,
            place,
            decl_line,
        });
    }
    out
}

/// A `DW_AT_const_value`: the optimizer knew the value, and says it.
fn constant(value: AttributeValue<R>) -> Place {
    let bytes = match value {
        AttributeValue::Data1(x) => vec![x],
        AttributeValue::Data2(x) => x.to_le_bytes().to_vec(),
        AttributeValue::Data4(x) => x.to_le_bytes().to_vec(),
        AttributeValue::Data8(x) => x.to_le_bytes().to_vec(),
        AttributeValue::Data16(x) => x.to_le_bytes().to_vec(),
        AttributeValue::Sdata(x) => x.to_le_bytes().to_vec(),
        AttributeValue::Udata(x) => x.to_le_bytes().to_vec(),
        AttributeValue::Block(b) => b.to_slice().map(|b| b.to_vec()).unwrap_or_default(),
        _ => return Place::Unavailable("a constant of an unknown form".into()),
    };
    Place::Bytes(bytes)
}

/// Evaluates a `DW_AT_location` (an expression, or a list of them by address).
fn locate(
    obj: &Object,
    unit: &gimli::Unit<R>,
    attr: AttributeValue<R>,
    subprogram: DieRef,
    pc: u64,
    regs: &Registers,
    mem: &dyn Memory,
) -> Place {
    let file_pc = pc.wrapping_sub(obj.bias);
    let expr = match attr {
        AttributeValue::Exprloc(e) => e,
        other => {
            let Ok(Some(mut list)) = obj.dwarf.attr_locations(unit, other) else {
                return Place::Unavailable("an unreadable location list".into());
            };
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
        Ok(pieces) => match pieces.as_slice() {
            [Piece {
                location: Location::Address { address },
                size_in_bits: None,
                ..
            }] => Place::Address(*address),
            [Piece {
                location: Location::Empty,
                ..
            }] => Place::OptimizedOut,
            _ => assemble(&pieces, regs, mem),
        },
        Err(why) => Place::Unavailable(why),
    }
}

/// The bytes of a value DWARF describes piece by piece (a fat pointer in
/// two registers) or held in one register.
fn assemble(pieces: &[Piece<R>], regs: &Registers, mem: &dyn Memory) -> Place {
    let mut bytes = Vec::new();
    for p in pieces {
        let size = p.size_in_bits.map_or(8, |b| b.div_ceil(8) as usize);
        if p.bit_offset.is_some_and(|o| o != 0) || p.size_in_bits.is_some_and(|b| b % 8 != 0) {
            return Place::Unavailable("pieces smaller than a byte".into());
        }
        let mut piece = match &p.location {
            Location::Empty => return Place::Unavailable("partly optimized out".into()),
            Location::Register { register } => match register_value(regs, register.0) {
                Ok(v) => v.to_le_bytes().to_vec(),
                Err(why) => return Place::Unavailable(why),
            },
            Location::Address { address } => {
                let mut buf = vec![0u8; size];
                if let Err(e) = mem.read(*address, &mut buf) {
                    return Place::Unavailable(format!("memory at {address:#x}: {e}"));
                }
                buf
            }
            Location::Value { value } => match value.to_u64(!0) {
                Ok(v) => v.to_le_bytes().to_vec(),
                Err(_) => return Place::Unavailable("a computed value".into()),
            },
            Location::Bytes { value } => value.to_slice().map(|b| b.to_vec()).unwrap_or_default(),
            _ => return Place::Unavailable("an implicit pointer".into()),
        };
        piece.resize(size, 0);
        bytes.extend(piece);
    }
    Place::Bytes(bytes)
}

/// Runs one DWARF expression for this frame: the pieces of its location.
fn evaluate(
    obj: &Object,
    unit: &gimli::Unit<R>,
    expr: gimli::Expression<R>,
    subprogram: DieRef,
    regs: &Registers,
    mem: &dyn Memory,
    frame_base_allowed: bool,
) -> Result<Vec<Piece<R>>, String> {
    let mut eval = expr.evaluation(unit.encoding());
    let mut step = eval.evaluate().map_err(|e| e.to_string())?;
    for _ in 0..256 {
        step = match step {
            EvaluationResult::Complete => return Ok(eval.result()),
            EvaluationResult::RequiresMemory { address, size, .. } => {
                let mut buf = [0u8; 8];
                let n = (size as usize).min(8);
                mem.read(address, &mut buf[..n])
                    .map_err(|e| format!("memory at {address:#x}: {e}"))?;
                eval.resume_with_memory(Value::Generic(u64::from_le_bytes(buf)))
                    .map_err(|e| e.to_string())?
            }
            EvaluationResult::RequiresRegister { register, .. } => {
                let v = register_value(regs, register.0)?;
                eval.resume_with_register(Value::Generic(v))
                    .map_err(|e| e.to_string())?
            }
            EvaluationResult::RequiresFrameBase if frame_base_allowed => {
                let base = frame_base(obj, subprogram, regs, mem)?;
                eval.resume_with_frame_base(base)
                    .map_err(|e| e.to_string())?
            }
            EvaluationResult::RequiresCallFrameCfa => eval
                .resume_with_call_frame_cfa(regs.cfa)
                .map_err(|e| e.to_string())?,
            EvaluationResult::RequiresRelocatedAddress(a) => eval
                .resume_with_relocated_address(a.wrapping_add(obj.bias))
                .map_err(|e| e.to_string())?,
            EvaluationResult::RequiresIndexedAddress { index, relocate } => {
                let a = obj.dwarf.address(unit, index).map_err(|e| e.to_string())?;
                let a = if relocate {
                    a.wrapping_add(obj.bias)
                } else {
                    a
                };
                eval.resume_with_indexed_address(a)
                    .map_err(|e| e.to_string())?
            }
            EvaluationResult::RequiresEntryValue(_) => {
                return Err("its value at the function's entry, which is not kept".into())
            }
            other => {
                return Err(format!(
                    "an expression this frame cannot evaluate ({other:?})"
                ))
            }
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
fn frame_base(
    obj: &Object,
    subprogram: DieRef,
    regs: &Registers,
    mem: &dyn Memory,
) -> Result<u64, String> {
    let unit = &obj.units[subprogram.unit as usize];
    let e = unit
        .entry(UnitOffset(subprogram.offset as usize))
        .map_err(|e| e.to_string())?;
    let Some(AttributeValue::Exprloc(expr)) = e.attr_value(gimli::DW_AT_frame_base) else {
        return Err("no frame base".into());
    };
    match evaluate(obj, unit, expr, subprogram, regs, mem, false)?.as_slice() {
        [Piece {
            location: Location::Register { register },
            ..
        }] => register_value(regs, register.0),
        [Piece {
            location: Location::Address { address },
            ..
        }] => Ok(*address),
        _ => Err("an unusual frame base".into()),
    }
}

/// Where `render_bytes` puts a value assembled from registers: an address
/// no user-space program maps (the upper half is the kernel's).
const ASSEMBLED: u64 = 0xffff_f000_0000_0000;

/// The program's memory with one more value at [`ASSEMBLED`].
struct Overlay<'a> {
    bytes: &'a [u8],
    inner: &'a dyn Memory,
}

impl Memory for Overlay<'_> {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), String> {
        let end = ASSEMBLED + self.bytes.len() as u64;
        if addr >= ASSEMBLED && addr.saturating_add(buf.len() as u64) <= end {
            let from = (addr - ASSEMBLED) as usize;
            buf.copy_from_slice(&self.bytes[from..from + buf.len()]);
            return Ok(());
        }
        self.inner.read(addr, buf)
    }
}

impl Program {
    /// Like `render`, for a value given by its bytes (`Place::Bytes`):
    /// what it points to is read from `mem`.
    pub fn render_bytes(
        &self,
        ty: TypeRef,
        bytes: &[u8],
        path: &[String],
        mem: &dyn Memory,
    ) -> Result<crate::Node, String> {
        let mut padded = bytes.to_vec();
        let size = self.ty(ty).map(|t| t.size).unwrap_or(0) as usize;
        if padded.len() < size {
            padded.resize(size, 0);
        }
        let overlay = Overlay {
            bytes: &padded,
            inner: mem,
        };
        crate::render::Cx::new(self, &overlay).node(ty, ASSEMBLED, path)
    }
}
