use std::cell::RefCell;
use std::io::{Cursor, Read};
use std::rc::Rc;

use super::Input;

/// A reader over `text` whose position the test can see after `Input` read from it.
#[derive(Clone)]
struct Shared(Rc<RefCell<Cursor<Vec<u8>>>>);

impl Read for Shared {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().read(buf)
    }
}

fn stdin_of(text: &[u8]) -> (Input, Shared) {
    let shared = Shared(Rc::new(RefCell::new(Cursor::new(text.to_vec()))));
    (Input::from_reader(shared.clone()), shared)
}

#[test]
fn a_line_is_read_up_to_its_newline_and_not_one_byte_further() {
    let (mut input, shared) = stdin_of(b"pass word\r\nnext\nlast");
    assert_eq!(input.line("password").expect("line").expose(), "pass word");
    assert_eq!(
        shared.0.borrow().position(),
        11,
        "stopped just after the \\n"
    );
    assert_eq!(input.line("secret").expect("line").expose(), "next");
    assert_eq!(shared.0.borrow().position(), 16);
    // The last line needs no newline; after it, stdin has ended.
    assert_eq!(input.line("x").expect("line").expose(), "last");
    let err = input.line("passphrase").expect_err("ended");
    assert!(err.to_string().contains("stdin ended"), "{err}");
}

#[test]
fn long_lines_rest_and_bad_text() {
    let long = "p".repeat(10_000);
    let (mut input, _) = stdin_of(format!("{long}\n-----BEGIN\nkey\n-----END\n\n").as_bytes());
    assert_eq!(input.line("password").expect("line").expose(), long);
    assert_eq!(
        input.rest("private key").expect("rest").expose(),
        "-----BEGIN\nkey\n-----END"
    );
    let (mut input, _) = stdin_of(b"\xff\xfe\n");
    let err = input.line("password").expect_err("not UTF-8");
    assert!(err.to_string().contains("not UTF-8"), "{err}");
    // An empty line is an empty value, not the end of input.
    let (mut input, _) = stdin_of(b"\nx\n");
    assert_eq!(input.line("password").expect("line").expose(), "");
}
