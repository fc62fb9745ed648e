// observe4: placeholder, being written.

fn answer() -> u32 {
    1
}

fn main() {
    println!("{}", answer());
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    #[test]
    fn placeholder() {
        assert_eq!(super::answer(), 2, "this exercise is being written");
    }
}
