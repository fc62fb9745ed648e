// wrong fix: one owner, one note, each method called once on the happy path: nothing checks another owner's notes, the order of several notes, what delete leaves alone or a blank title
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_get_list_delete() {
        let repo = NotesRepo::open_in_memory().unwrap();
        let id = repo.create("ada", "Engine", "gears").unwrap();
        assert_eq!(repo.get(id).unwrap().unwrap().title, "Engine");
        assert_eq!(repo.list_by_owner("ada").unwrap().len(), 1);
        assert!(repo.delete("ada", id).unwrap());
        assert!(repo.get(id).unwrap().is_none());
    }
}
