// wrong fix: checks how many notes come back and what delete returns, never which notes, in which order or with which fields, and refuses only the empty title: the order, a title/body mix-up and a whitespace title go unnoticed
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_deletes() {
        let repo = NotesRepo::open_in_memory().unwrap();
        let first = repo.create("ada", "Engine", "gears").unwrap();
        repo.create("ada", "Bernoulli", "numbers").unwrap();
        repo.create("grace", "Compiler", "A-0").unwrap();
        assert_eq!(repo.list_by_owner("ada").unwrap().len(), 2);
        assert_eq!(repo.list_by_owner("grace").unwrap().len(), 1);
        assert_eq!(repo.delete("grace", first), Ok(false));
        assert_eq!(repo.delete("ada", first), Ok(true));
        assert_eq!(repo.list_by_owner("ada").unwrap().len(), 1);
    }

    #[test]
    fn empty_title_is_refused() {
        let repo = NotesRepo::open_in_memory().unwrap();
        assert_eq!(repo.create("ada", "", "body"), Err(NoteError::BlankTitle));
    }
}
