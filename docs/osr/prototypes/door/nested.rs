//! Prototype: on-stack replacement at a loop header in a debug (-O0) build.
//! Host side = what `#[debuggable]` would emit: a *door* at the top of the body
//! (an asm goto whose label returns what the patch returns; no local is alive
//! there, so taking it drops nothing) and a *loop-header site* (a plain 5-byte
//! nop plus an out-of-line thunk in another section). Arming rewrites the nop
//! into `jmp thunk`; the thunk asks the runtime, which either says "go on"
//! (registers restored, back after the nop) or returns the door's address: the
//! thunk restores the frame's rsp and jumps there. At -O0 every local lives in
//! a stack slot at a fixed rsp offset (DWARF DW_OP_fbreg, frame base RSP), so
//! the door, then the patch running on top of this frame, find them all.
use std::arch::asm;
use std::cell::Cell;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicUsize, AtomicBool, Ordering::*};

pub struct Noisy(&'static str);
pub static DROPS: AtomicUsize = AtomicUsize::new(0);
impl Drop for Noisy { fn drop(&mut self) { DROPS.fetch_add(1, SeqCst); println!("drop {}", self.0); } }

#[derive(Debug)]
pub struct Report { total: u64, len: usize, tag: String, last: [u64; 4] }   // > 16 bytes: returned through sret

// ---------------------------------------------------------------- runtime side
static DOOR_WORK: AtomicUsize = AtomicUsize::new(0);   // from the hb_doors section in the real thing
static ARMED: AtomicBool = AtomicBool::new(false);
thread_local! { static RESUME: Cell<Option<(u32, usize)>> = const { Cell::new(None) }; }

/// Called by a site's thunk (registers saved): the door to jump to, or 0.
extern "C" fn osr_hit(site: u32, frame_sp: usize) -> usize {
    if !ARMED.load(SeqCst) { return 0; }
    RESUME.with(|r| r.set(Some((site, frame_sp))));
    DOOR_WORK.load(SeqCst)
}
pub struct Resume { pub site: u32, sp: usize, offs: &'static [(String, i64, bool)] }
impl Resume {
    /// The address of local `name` in the native frame (offset from DWARF; `deref`
    /// when the slot holds a pointer to it: a by-reference parameter).
    pub fn place<T>(&self, name: &str) -> *mut T {
        let &(_, off, deref) = self.offs.iter().find(|o| o.0 == name).unwrap_or_else(|| panic!("no {name}"));
        let a = (self.sp as i64 + off) as usize;
        (if deref { unsafe { *(a as *const usize) } } else { a }) as *mut T
    }
    pub fn take<T>(&self, name: &str) -> T { unsafe { std::ptr::read(self.place::<T>(name)) } }
}
fn offsets() -> &'static [(String, i64, bool)] {
    let s = std::env::var("HB_OFFS").expect("HB_OFFS");
    Box::leak(s.split(',').map(|kv| { let (k, v) = kv.split_once('=').unwrap();
        let deref = v.ends_with('*'); (k.to_string(), v.trim_end_matches('*').parse().unwrap(), deref) }).collect::<Vec<_>>().into_boxed_slice())
}
pub fn resuming() -> Option<Resume> {
    RESUME.with(|r| r.take()).map(|(site, sp)| Resume { site, sp, offs: offsets() })
}
/// Owns a value that lives elsewhere (a native frame's slot, or our MaybeUninit):
/// drops it in place at the end of the local's scope unless moved out.
pub fn ptr_of<T>(r: &mut T) -> *mut T { r }
pub struct Own<T>(*mut T, bool);
impl<T> Own<T> { pub fn new(p: *mut T) -> Self { Own(p, true) }
    pub unsafe fn take(&mut self) -> T { self.1 = false; unsafe { std::ptr::read(self.0) } } }
impl<T> Drop for Own<T> { fn drop(&mut self) { if self.1 { unsafe { std::ptr::drop_in_place(self.0) } } } }

macro_rules! header_site {
    ($id:expr) => { unsafe { asm!(
        ".balign 8, , 4",
        "2: .byte 0x0f, 0x1f, 0x44, 0x00, 0x00",
        ".pushsection .text.hotbreak_osr, \"ax\", @progbits",
        "3: lea rsp, [rsp - 128]",          // the red zone of a leaf body
        "pushfq", "push rax", "push rcx", "push rdx", "push rsi", "push rdi",
        "push r8", "push r9", "push r10", "push r11",   // 10 pushes: rsp stays 16-aligned
        "sub rsp, 256",
        "movdqu [rsp+0], xmm0", "movdqu [rsp+16], xmm1", "movdqu [rsp+32], xmm2", "movdqu [rsp+48], xmm3",
        "movdqu [rsp+64], xmm4", "movdqu [rsp+80], xmm5", "movdqu [rsp+96], xmm6", "movdqu [rsp+112], xmm7",
        "movdqu [rsp+128], xmm8", "movdqu [rsp+144], xmm9", "movdqu [rsp+160], xmm10", "movdqu [rsp+176], xmm11",
        "movdqu [rsp+192], xmm12", "movdqu [rsp+208], xmm13", "movdqu [rsp+224], xmm14", "movdqu [rsp+240], xmm15",
        "mov edi, {id}", "lea rsi, [rsp + 256 + 80 + 128]",
        "call {hit}",
        "test rax, rax", "jnz 5f",
        "movdqu xmm0, [rsp+0]", "movdqu xmm1, [rsp+16]", "movdqu xmm2, [rsp+32]", "movdqu xmm3, [rsp+48]",
        "movdqu xmm4, [rsp+64]", "movdqu xmm5, [rsp+80]", "movdqu xmm6, [rsp+96]", "movdqu xmm7, [rsp+112]",
        "movdqu xmm8, [rsp+128]", "movdqu xmm9, [rsp+144]", "movdqu xmm10, [rsp+160]", "movdqu xmm11, [rsp+176]",
        "movdqu xmm12, [rsp+192]", "movdqu xmm13, [rsp+208]", "movdqu xmm14, [rsp+224]", "movdqu xmm15, [rsp+240]",
        "add rsp, 256",
        "pop r11", "pop r10", "pop r9", "pop r8", "pop rdi", "pop rsi", "pop rdx", "pop rcx", "pop rax", "popfq",
        "lea rsp, [rsp + 128]",
        "jmp 2b + 5",
        "5: lea rsp, [rsp + 256 + 80 + 128]",   // the frame's own rsp again
        "jmp rax",                              // into the door
        ".popsection",
        ".pushsection hotbreak_loops, \"awR\"", ".balign 8", ".quad 2b, 3b, {id}", ".popsection",
        id = const $id, hit = sym osr_hit,
        options(preserves_flags)); } };
}

// ---------------------------------------------------------------- host function
// Nested loops, a labeled `loop` with `break 'outer value`, run by a worker thread.
#[inline(never)]
pub fn grid(n: u64) -> u64 {
    unsafe { asm!(".pushsection hotbreak_doors, \"awR\"", ".balign 8", ".quad {door}", ".popsection",
        door = label { return grid_patched(n) }, options(nostack, preserves_flags)); }
    let mut total = 0u64;
    let mut row = 0u64;
    let res = 'outer: loop {
        header_site!(0);
        if row == n { break 'outer total * 10; }
        let mut acc = Vec::new();
        let _g = Noisy("row guard");
        for col in 0..4u64 {
            header_site!(1);
            acc.push(row * 10 + col);
            total += col;
            std::thread::sleep(std::time::Duration::from_millis(15));
        }
        println!("native  row {row}: {acc:?} total={total}");
        row += 1;
    };
    res + 1
}

// The patch: the edit pushes `row * 100 + col`. Resume mode enters at site 0 or 1.
#[inline(never)]
#[allow(dangerous_implicit_autorefs)]
pub fn grid_patched(n: u64) -> u64 {
    let __hb_rs = resuming();
    let __hb_at = __hb_rs.as_ref().map(|r| r.site);
    let mut __hb_resuming = __hb_rs.is_some();
    macro_rules! pinned_let { ($s:ident, $name:literal, $init:expr) => {
        match (__hb_resuming, &__hb_rs) { (true, Some(rs)) => rs.place($name), _ => ptr_of($s.write($init)) } } }
    let mut __hb_s_n = MaybeUninit::uninit();
    let __hb_n: *mut u64 = pinned_let!(__hb_s_n, "n", n);
    let _g_n = Own::new(__hb_n);
    let mut __hb_s_total = MaybeUninit::uninit();
    let __hb_total = pinned_let!(__hb_s_total, "total", 0u64);
    let _g_total = Own::new(__hb_total);
    let mut __hb_s_row = MaybeUninit::uninit();
    let __hb_row = pinned_let!(__hb_s_row, "row", 0u64);
    let _g_row = Own::new(__hb_row);
    unsafe {
    let res = 'outer: loop {
        if __hb_at == Some(0) { __hb_resuming = false; }          // site 0 reached
        if !__hb_resuming { if *__hb_row == *__hb_n { break 'outer *__hb_total * 10; } }
        let mut __hb_s_acc = MaybeUninit::uninit();
        let __hb_acc = pinned_let!(__hb_s_acc, "acc", Vec::new());
        let _g_acc = Own::new(__hb_acc);
        let mut __hb_s_g = MaybeUninit::uninit();
        let __hb_g = pinned_let!(__hb_s_g, "_g", Noisy("row guard"));
        let _g_g = Own::new(__hb_g);
        let mut __hb_iter = match (__hb_resuming, &__hb_rs) { (true, Some(rs)) => rs.take("iter"), _ => IntoIterator::into_iter(0..4u64) };
        let mut __hb_first: Option<u64> = match (__hb_resuming, &__hb_rs) { (true, Some(rs)) => Some(rs.take("col")), _ => None };
        __hb_resuming = false;                                      // site 1 reached
        loop {
            let col = match __hb_first.take() { Some(c) => c, None => match Iterator::next(&mut __hb_iter) { Some(c) => c, None => break } };
            (*__hb_acc).push(*__hb_row * 100 + col);                // the edit
            *__hb_total += col;
            std::thread::sleep(std::time::Duration::from_millis(15));
        }
        println!("PATCHED row {}: {:?} total={}", *__hb_row, *__hb_acc, *__hb_total);
        *__hb_row += 1;
    };
    res + 1
    }
}

fn arm() {
    unsafe extern "C" { static __start_hotbreak_doors: usize; static __start_hotbreak_loops: [[usize; 3]; 2]; }
    let door = unsafe { std::ptr::addr_of!(__start_hotbreak_doors).read() };
    DOOR_WORK.store(door, SeqCst);
    ARMED.store(true, SeqCst);
    for [nop, thunk, id] in unsafe { std::ptr::addr_of!(__start_hotbreak_loops).read() } { unsafe {
        let page = nop & !4095;
        assert_eq!(libc_mprotect(page as *mut u8, 8192, 7), 0);
        let rel = (thunk as i64 - (nop as i64 + 5)) as i32;
        let mut b = [0xe9u8, 0, 0, 0, 0]; b[1..].copy_from_slice(&rel.to_le_bytes());
        std::ptr::copy_nonoverlapping(b.as_ptr(), nop as *mut u8, 5);
        println!("armed site {id}");
    } }
}
unsafe extern "C" { #[link_name = "mprotect"] fn libc_mprotect(a: *mut u8, l: usize, p: i32) -> i32; }

fn main() {
    let plain = std::env::args().nth(1).as_deref() == Some("plain");
    let worker = std::thread::Builder::new().name("worker".into()).spawn(|| grid(3)).unwrap();
    let mut ticks = 0;
    for t in 0..12 {
        if t == 4 && !plain { arm(); }
        ticks += 1;
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let r = worker.join().unwrap();
    println!("main ticks={ticks} grid={r} drops={}", DROPS.load(SeqCst));
}
