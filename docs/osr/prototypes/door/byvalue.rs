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
#[inline(never)]
pub fn work(n: u64, tag: String) -> Report {
    // The door: reached only by a thunk's jump. No local is alive here.
    unsafe { asm!(".pushsection hotbreak_doors, \"awR\"", ".balign 8", ".quad {door}", ".popsection",
        door = label { return work_patched(n, tag) }, options(nostack, preserves_flags)); }
    let mut v: Vec<u64> = Vec::new();
    let r = &mut v;                       // borrowed across the loop
    let mut total = 0u64;
    let _guard = Noisy("guard");
    let maybe = String::from("maybe");
    if n > 100 { drop(maybe); }          // maybe-moved at the header (never used after)
    for i in 0..n {
        header_site!(0);
        r.push(i);
        total += i;
        println!("native  i={i} total={total} len={}", r.len());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let last = [v[v.len()-1], v[v.len()-2], total, 0];
    Report { total, len: v.len(), tag, last }
}

// ------------------------------------------- the patch (what the rewriter would emit)
// Every local declared before the site lives where the native frame put it
// (`place`), owned by an `Own` guard declared where the `let` was, so rustc
// drops it at the end of its own scope; uses are rewritten `x` -> `(*__hb_x)`.
// The normal path (no resume) gives the same guard its own MaybeUninit slot.
// The iterator and the fresh pattern binding are taken by value (nothing can
// point to them yet).
#[inline(never)]
#[allow(dangerous_implicit_autorefs)]
pub fn work_patched(n: u64, tag: String) -> Report {
    let __hb_rs = resuming();
    let (mut __hb_s_n, mut __hb_s_tag) = (MaybeUninit::uninit(), MaybeUninit::uninit());
    let (__hb_n, __hb_tag): (*mut u64, *mut String) = match &__hb_rs {
        Some(rs) => { std::mem::forget(tag); (rs.place("n"), rs.place("tag")) }   // the door passed copies
        None => (ptr_of(__hb_s_n.write(n)), ptr_of(__hb_s_tag.write(tag))),
    };
    let mut __hb_g_tag = Own::new(__hb_tag);
    macro_rules! pinned_let { ($s:ident, $name:literal, $init:expr) => {
        match &__hb_rs { Some(rs) => rs.place($name), None => ptr_of($s.write($init)) } } }
    // Mechanism 1 as proposed: every local taken BY VALUE into the patch's frame.
    let mut v_own: Vec<u64> = match &__hb_rs { Some(rs) => rs.take("v"), None => Vec::new() };
    let __hb_v: *mut Vec<u64> = &mut v_own;
    let r_own: &mut Vec<u64> = match &__hb_rs { Some(rs) => rs.take("r"), None => unsafe { &mut *__hb_v } };
    let __hb_r: *mut &mut Vec<u64> = &r_own as *const _ as *mut _;
    let (__hb_g_v, __hb_g_r) = ((), ());
    let mut __hb_s_total = MaybeUninit::uninit();
    let __hb_total = pinned_let!(__hb_s_total, "total", 0u64);
    let __hb_g_total = Own::new(__hb_total);
    let mut __hb_s_guard = MaybeUninit::uninit();
    let __hb_guard = pinned_let!(__hb_s_guard, "_guard", Noisy("guard"));
    let __hb_g_guard = Own::new(__hb_guard);
    // `maybe` is maybe-moved at the header (rustc says so: E0382 on a probe):
    // not taken; its native drop flag is not visible, so the tool reports the
    // frame as "leaks `maybe` if it was not moved" or refuses (see DESIGN).
    let maybe; if __hb_rs.is_none() { maybe = String::from("maybe"); if unsafe { *__hb_n } > 100 { drop(maybe); } }
    let resume_here = __hb_rs.as_ref().map(|rs| rs.site == 0).unwrap_or(false);
    unsafe {
        let mut __hb_iter = match &__hb_rs { Some(rs) => rs.take("iter"), None => IntoIterator::into_iter(0..(*__hb_n)) };
        let mut __hb_first: Option<u64> = if resume_here { Some(__hb_rs.as_ref().unwrap().take("i")) } else { None };
        loop {
            let i = match __hb_first.take() { Some(i) => i, None => match Iterator::next(&mut __hb_iter) { Some(i) => i, None => break } };
            (*__hb_r).push(i * 1000);                       // the EDIT: push i*1000
            (*__hb_total) += i;
            println!("PATCHED i={i} total={} len={}", *__hb_total, (*__hb_r).len());
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let last = [(*__hb_v)[(*__hb_v).len()-1], (*__hb_v)[(*__hb_v).len()-2], *__hb_total, 1];
        let _ = (&__hb_g_v, &__hb_g_r, &__hb_g_total, &__hb_g_guard);
        Report { total: *__hb_total, len: (*__hb_v).len(), tag: __hb_g_tag.take(), last }   // a move: E0507 -> `take`
    }
}

fn arm() {
    // Find the door and the site from the sections, rewrite the nop into `jmp thunk`.
    unsafe extern "C" { static __start_hotbreak_doors: usize; static __start_hotbreak_loops: [usize; 3]; }
    let door = unsafe { std::ptr::addr_of!(__start_hotbreak_doors).read() };
    let [nop, thunk, id] = unsafe { std::ptr::addr_of!(__start_hotbreak_loops).read() };
    DOOR_WORK.store(door, SeqCst);
    ARMED.store(true, SeqCst);
    unsafe {
        let page = nop & !4095;
        assert_eq!(libc_mprotect(page as *mut u8, 8192, 7), 0);
        let rel = (thunk as i64 - (nop as i64 + 5)) as i32;
        let mut b = [0xe9u8, 0, 0, 0, 0]; b[1..].copy_from_slice(&rel.to_le_bytes());
        std::ptr::copy_nonoverlapping(b.as_ptr(), nop as *mut u8, 5);
    }
    eprintln!("armed site {id}: nop {nop:#x} -> thunk {thunk:#x}, door {door:#x}");
}
unsafe extern "C" { #[link_name = "mprotect"] fn libc_mprotect(a: *mut u8, l: usize, p: i32) -> i32; }

fn main() {
    if std::env::args().nth(1).as_deref() == Some("plain") { println!("{:?}", work(6, "t".into())); return; }
    let h = std::thread::spawn(|| { std::thread::sleep(std::time::Duration::from_millis(50)); arm(); });
    let rep = work(6, String::from("tag"));
    h.join().unwrap();
    println!("{rep:?}  drops={}", DROPS.load(SeqCst));
}
