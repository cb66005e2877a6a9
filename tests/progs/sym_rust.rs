// sym_rust - Rust frames for mf-record's demangling (tests/symbolize.bats):
// a generic method and a closure that allocate, and leak what they made.
// Built by the test with the machine's rustc, once with each mangling
// scheme (legacy, v0).

struct Stack<T> {
    items: Vec<T>,
}

impl<T: Clone> Stack<T> {
    #[inline(never)]
    fn push_copies(&mut self, x: T, n: usize) {
        for _ in 0..n {
            self.items.push(x.clone());
        }
    }
}

#[inline(never)]
fn boxed_by_closure() -> Vec<Box<u64>> {
    let make = |n: u64| -> Box<u64> { Box::new(n) };
    (0..3).map(make).collect()
}

fn main() {
    let mut s = Stack { items: Vec::new() };
    s.push_copies(String::from("x"), 100);
    let v = boxed_by_closure();
    std::mem::forget(s);
    std::mem::forget(v);
}
