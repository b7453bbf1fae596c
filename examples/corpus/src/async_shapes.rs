//! Generic async shapes: a generic async fn, an async method of a generic
//! impl and of a generic trait impl, an async fn with an `impl Trait`
//! argument, an async provided method. Each runs as two instances.

/// Each instance's future awaits a real suspension.
#[hotbreak::debuggable]
mod generic_async {
    use crate::shapes::yield_once;

    pub async fn async_largest<T: PartialOrd + Copy>(xs: &[T]) -> Option<T> {
        let mut best = None;
        for &x in xs {
            yield_once().await;
            if best.is_none_or(|b| x > b) {
                best = Some(x);
            }
        }
        best
    }

    pub async fn async_len(it: impl IntoIterator<Item = u8>) -> usize {
        let mut n = 0;
        for _ in it {
            yield_once().await;
            n += 1;
        }
        n
    }

    pub struct Queue<T> {
        pub items: Vec<T>,
    }

    impl<T: Clone> Queue<T> {
        pub async fn take_front(&mut self) -> Option<T> {
            yield_once().await;
            if self.items.is_empty() {
                return None;
            }
            let front = self.items.remove(0);
            Some(front)
        }
    }

    pub trait Peek {
        async fn peek_len(&self) -> usize;
    }

    /// An async provided method: one instance per implementor keeping it.
    pub trait Sized2 {
        fn size(&self) -> usize;

        async fn async_size_twice(&self) -> usize {
            let one = self.size();
            yield_once().await;
            one * 2
        }
    }

    impl<T> Sized2 for Queue<T> {
        fn size(&self) -> usize {
            self.items.len()
        }
    }

    impl Sized2 for str {
        fn size(&self) -> usize {
            self.len()
        }
    }

    impl<T> Peek for Queue<T> {
        async fn peek_len(&self) -> usize {
            let n = self.items.len();
            yield_once().await;
            n * 2
        }
    }
}

/// Calls the generic async shape named `name` with fixed inputs.
pub fn run(name: &str) -> Option<String> {
    use crate::shapes::block_on;
    use generic_async::*;
    let out = match name {
        "async_largest" => format!("{:?} {:?}", block_on(async_largest(&[3, 9, 2])), block_on(async_largest(&[1.5, 0.5]))),
        "async_len" => format!("{} {}", block_on(async_len(vec![1, 2])), block_on(async_len([7u8; 3]))),
        "take_front" | "peek_len" => {
            let mut bytes = Queue { items: vec![1u8, 2] };
            let mut words = Queue { items: vec!["x".to_string()] };
            let a = block_on(bytes.take_front());
            let b = block_on(words.take_front());
            let c = block_on(words.take_front());
            format!("{a:?} {b:?} {c:?} {} {}", block_on(bytes.peek_len()), block_on(words.peek_len()))
        }
        "async_size_twice" | "size" => format!("{} {}", block_on(Queue { items: vec![1u8] }.async_size_twice()), block_on("abc".async_size_twice())),
        _ => return None,
    };
    Some(out)
}
