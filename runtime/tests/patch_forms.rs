//! The form a patch source gives the replaced function (the rewriter marks
//! it `#[hotbreak::__patch]`), for the shapes of `wild.rs`: it compiles,
//! behaves as written, and is not registered (a patch has no slot of its own).
#![allow(dead_code, clippy::all)]

use hotbreak::{debuggable, functions};

pub struct Config;

pub struct Item(u32);

pub struct Store<'a> {
    items: &'a [Item],
}

#[debuggable]
impl<'a> Store<'a> {
    #[hotbreak::__patch]
    #[allow(elided_lifetimes_in_paths, mismatched_lifetime_syntaxes)]
    fn iter(&self, _c: &Config) -> std::slice::Iter<Item> {
        self.items.iter()
    }
}

pub struct Plain {
    items: Vec<Item>,
}

#[debuggable]
impl Plain {
    #[hotbreak::__patch]
    #[allow(elided_lifetimes_in_paths, mismatched_lifetime_syntaxes)]
    fn iter(&self, _c: &Config) -> std::slice::Iter<Item> {
        #![allow(unused_variables)]
        let unused = 0;
        self.items.iter()
    }
    fn untouched(&self, c: &Config) -> Vec<&Item> {
        self.iter(c).collect()
    }
}

pub struct Parsed(u32);

#[debuggable]
impl std::str::FromStr for Parsed {
    type Err = std::num::ParseIntError;
    #[hotbreak::__patch]
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Parsed(s.parse()?))
    }
}

pub struct Words(usize);

#[debuggable]
impl TryFrom<&[&str]> for Words {
    type Error = String;
    #[hotbreak::__patch]
    fn try_from(v: &[&str]) -> Result<Self, Self::Error> {
        Ok(Words(v.len()))
    }
}

#[debuggable]
impl std::ops::Add<Self> for Parsed {
    type Output = Self;
    #[hotbreak::__patch]
    fn add(self, o: Self) -> <Self as std::ops::Add<Self>>::Output {
        Parsed(self.0 + o.0)
    }
}

#[debuggable]
#[hotbreak::__patch]
fn free((a, b): (u32, u32), _: u8) -> u32 {
    #![allow(unused_variables)]
    let unused = 0;
    a + b
}

#[debuggable]
#[hotbreak::__patch]
fn never(msg: &str) -> ! {
    panic!("{msg}")
}

#[test]
fn patch_forms_compile_and_behave() {
    let items = [Item(1), Item(2)];
    assert_eq!(Store { items: &items }.iter(&Config).count(), 2);
    let plain = Plain { items: vec![Item(1)] };
    assert_eq!(plain.iter(&Config).count(), 1);
    assert_eq!(plain.untouched(&Config).len(), 1);
    assert_eq!("4".parse::<Parsed>().map(|p| p.0), Ok(4));
    assert_eq!(Words::try_from(&["a"][..]).map(|w| w.0), Ok(1));
    assert_eq!((Parsed(1) + Parsed(2)).0, 3);
    assert_eq!(free((1, 2), 0), 3);
    assert!(std::panic::catch_unwind(|| never("x")).is_err());
    let keys: Vec<_> = functions().iter().map(|f| f.key).collect();
    assert_eq!(keys, ["patch_forms::Plain::untouched"]);
}
