//! Tamper detection for `grade --against`: the test code of an exercise file, normalized
//! so that formatting and comments do not count as changes.

/// The `#[cfg(test)]` part of a file (from the attribute to the end of its item), plus
/// every `#[test]` function outside it, with whitespace and `//` comments removed.
pub fn test_code(source: &str) -> String {
    let stripped = strip_line_comments(source);
    let mut pieces = Vec::new();
    let mut rest = stripped.as_str();
    while let Some(start) = next_test_attr(rest) {
        let item = &rest[start..];
        let end = item_end(item);
        pieces.push(&item[..end]);
        rest = &item[end..];
    }
    pieces
        .concat()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn next_test_attr(text: &str) -> Option<usize> {
    ["#[cfg(test)]", "#[test]"]
        .iter()
        .filter_map(|attr| text.find(attr))
        .min()
}

/// Length of the attribute plus the item it decorates: up to the matching close brace
/// of the item's first block (or its `;`).
fn item_end(item: &str) -> usize {
    let mut depth = 0usize;
    for (index, c) in item.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return index + 1;
                }
            }
            ';' if depth == 0 && index > 0 && !item[..index].ends_with(']') => return index + 1,
            _ => {}
        }
    }
    item.len()
}

fn strip_line_comments(source: &str) -> String {
    source
        .lines()
        .map(|line| match line.find("//") {
            // A `//` inside a string literal is rare in test code; a quote before it
            // means we keep the line whole rather than cut a string.
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGINAL: &str = "fn add(a: i32, b: i32) -> i32 {\n    a - b // TODO\n}\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n    #[test]\n    fn adds() {\n        assert_eq!(add(1, 2), 3);\n    }\n}\n";

    #[test]
    fn fixing_the_code_is_not_tampering() {
        let fixed = ORIGINAL.replace("a - b // TODO", "a + b");
        assert_eq!(test_code(ORIGINAL), test_code(&fixed));
    }

    #[test]
    fn reformatting_tests_is_not_tampering() {
        let reformatted = ORIGINAL.replace(
            "assert_eq!(add(1, 2), 3);",
            "assert_eq!(add(1,2),3); // still",
        );
        assert_eq!(test_code(ORIGINAL), test_code(&reformatted));
    }

    #[test]
    fn changing_an_assertion_is_tampering() {
        let weakened = ORIGINAL.replace("assert_eq!(add(1, 2), 3);", "assert!(true);");
        assert_ne!(test_code(ORIGINAL), test_code(&weakened));
    }

    #[test]
    fn deleting_the_test_module_is_tampering() {
        let gone = ORIGINAL.split("#[cfg(test)]").next().unwrap().to_string();
        assert_ne!(test_code(ORIGINAL), test_code(&gone));
    }

    #[test]
    fn free_test_functions_count() {
        let a = "fn f() {}\n#[test]\nfn t() { assert!(f() == ()); }\nfn g() {}\n";
        let b = a.replace("f() == ()", "true");
        assert_ne!(test_code(a), test_code(&b));
        assert_eq!(
            test_code(a),
            test_code(&a.replace("fn g() {}", "fn g() { 1; }"))
        );
    }
}
