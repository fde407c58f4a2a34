//! The language, program by program: numbers, tail calls, deep recursion, `call/cc`, the
//! derived forms, and the exact text of each kind of error (after which the heap must verify
//! with no root left).

use std::num::NonZeroU32;

use gc_scheme::{Outcome, run_text};
use gclab::{CollectorChoice, HeapConfig, VerifyHeap};

fn config() -> HeapConfig {
    HeapConfig {
        verify: VerifyHeap::OnRequest,
        ..HeapConfig::default()
    }
}

fn run_with(config: HeapConfig, source: &str) -> (String, Outcome) {
    let (output, outcome) =
        run_text(CollectorChoice::Auto, config, source, "").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcome.leaked_roots, 0, "{outcome:?}");
    assert_eq!(outcome.verify_error, None, "{outcome:?}");
    (output, outcome)
}

/// The output of a program that must succeed.
fn output(source: &str) -> String {
    let (output, outcome) = run_with(config(), source);
    assert_eq!(outcome.error, None, "{source}\n{output}");
    output
}

/// The error message of a program that must fail.
fn error(source: &str) -> String {
    let (_, outcome) = run_with(config(), source);
    assert_eq!(outcome.exit_code, 1);
    outcome
        .error
        .unwrap_or_else(|| panic!("{source}: no error"))
}

#[test]
fn numbers() {
    let program = r#"
      (for-each (lambda (x) (write x) (display " "))
        (list (+ 1 2.5) (/ 6 3) (/ 1 2) (exact->inexact 1) (expt 2 62) (* 99999 99999)
              (- (expt 2 62) (expt 2 62)) (quotient -7 2) (remainder -7 2) (modulo -7 2)
              (round 2.5) (round 3.5) (exact (floor 2.7)) (number->string 255 16)
              (string->number "1e3") (max 1 2.0) (abs -5) (sqrt 16) (sqrt 2.25) 1/4 #x10
              (exact? 1) (inexact? 1.0) (= 1 1.0) (< 1 2 3) (< 1 3 2) (* 4611686018427387904 4)))"#;
    assert_eq!(
        output(program),
        "3.5 2 0.5 1.0 4611686018427387904 9999800001 0 -3 -1 1 2.0 4.0 2 \"ff\" 1000.0 2.0 5 4 \
         1.5 0.25 16 #t #t #t #t #f 1.8446744073709552e19 "
    );
}

#[test]
fn a_million_tail_calls_run_in_constant_stack() {
    // More iterations than the machine allows nested calls: only tail calls get through.
    let program = "(define (loop i acc) (if (= i 0) acc (loop (- i 1) (+ acc 1))))
                   (display (loop 2000000 0))
                   (define (even2? n) (if (= n 0) #t (odd2? (- n 1))))
                   (define (odd2? n) (if (= n 0) #f (even2? (- n 1))))
                   (display (even2? 1000001))
                   (do ((i 0 (+ i 1))) ((= i 1000000) (display \" done\")))";
    assert_eq!(output(program), "2000000#f done");
}

#[test]
fn deep_recursion_does_not_overflow_the_native_stack() {
    let program = "(define (count n) (if (= n 0) 0 (+ 1 (count (- n 1)))))
                   (display (count 200000))
                   (define (build n) (if (= n 0) '() (cons n (build (- n 1)))))
                   (display (length (build 100000)))";
    assert_eq!(output(program), "200000100000");
    let endless = "(define (f n) (+ 1 (f n)))\n(f 1)";
    assert_eq!(
        error(endless),
        "test.scm:1: recursion too deep: more than 1000000 nested calls"
    );
}

#[test]
fn call_cc_escapes() {
    let program = "(display (call/cc (lambda (k) (for-each (lambda (x) (if (> x 2) (k x))) '(1 2 3 4)) 'none)))
                   (display (+ 1 (call-with-current-continuation (lambda (k) 10))))
                   (define saved #f)
                   (display (call/cc (lambda (k) (set! saved k) 1)))";
    assert_eq!(output(program), "3111");
    let late = "(define saved #f)\n(call/cc (lambda (k) (set! saved k)))\n(saved 1)";
    assert_eq!(
        error(late),
        "test.scm:3: a continuation was called outside its extent (call/cc is escape-only)"
    );
}

#[test]
fn derived_forms_and_data() {
    let program = r#"
      (define-record-type point (make-point x y) point? (x point-x set-point-x!) (y point-y))
      (define p (make-point 1 2))
      (set-point-x! p 10)
      (write (list (point-x p) (point-y p) (point? p) (point? 5)))
      (write `(1 ,(+ 1 1) ,@(map (lambda (x) (* x x)) '(3 4)) #(a ,(+ 2 3))))
      (write (let loop ((i 0) (acc '())) (if (= i 3) (reverse acc) (loop (+ i 1) (cons i acc)))))
      (write (let* ((x 1) (y (+ x 1))) (letrec ((f (lambda (n) (if (= n 0) y (f (- n 1)))))) (f 5))))
      (write (case (* 2 3) ((2 3 5 7) 'prime) ((1 4 6 8 9) 'composite) (else 'other)))
      (write (cond ((assv 2 '((1 . a) (2 . b))) => cdr) (else 'none)))
      (write (call-with-values (lambda () (values 1 2 3)) list))
      (write (apply + 1 2 '(3 4)))
      (write (string->symbol (string-append "ab" (number->string 12))))
      (write (list (string-ref "hello" 1) (substring "hello" 1 3) (string->list "ab")))
      (write (vector-map (lambda (x) (+ x 1)) #(1 2 3)))
      (write (let () (define a 1) (define (g) (+ a 1)) (g)))
      (write (equal? '(1 #(2 "x") 3.0) (list 1 (vector 2 "x") 3.0)))
      (write (eq? 'abc (string->symbol "abc")))
      (write (when #f 1))
      (write (assoc "b" '(("a" . 1) ("b" . 2))))
      (write (list-tail '(1 2 3 4) 2))
      (write (force (delay (+ 1 2))))
      (write (dynamic-wind (lambda () #f) (lambda () 'in) (lambda () #f)))
      (write (cadr '(1 2 3)))
      (write ((lambda args args) 1 2))
      (write ((lambda (a . rest) rest) 1 2 3))"#;
    assert_eq!(
        output(program),
        "(10 2 #t #f)(1 2 9 16 #(a 5))(0 1 2)2compositeb(1 2 3)10ab12(#\\e \"el\" (#\\a #\\b))\
         #(2 3 4)2#t#t#<unspecified>(\"b\" . 2)(3 4)3in2(1 2)(2 3)"
    );
}

#[test]
fn read_takes_data_from_the_input() {
    let (output, outcome) = run_text(
        CollectorChoice::Auto,
        config(),
        "(write (read)) (write (read)) (write (eof-object? (read)))",
        "(a \"b\" 1.5 #(1)) sym",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcome.error, None);
    assert_eq!(output, "(a \"b\" 1.5 #(1))sym#t");
}

#[test]
fn errors_are_reported_word_for_word_and_leak_no_root() {
    let cases = [
        (
            "(display 1)\n(car '(1 2)",
            "test.scm:2: syntax error: unterminated list",
        ),
        ("(define x 1)\n(+ x y)", "test.scm:2: unbound variable: y"),
        (
            "(define (f x)\n  (car x))\n(f 5)",
            "test.scm:2: wrong type: car expects a pair, got 5",
        ),
        (
            "(vector-ref (vector 1 2) 2)",
            "test.scm:1: vector-ref: index 2 is out of range for length 2",
        ),
        (
            "(define (g a b) a)\n\n(g 1)",
            "test.scm:3: wrong number of arguments: g takes 2, got 1",
        ),
        (
            "(car)",
            "test.scm:1: wrong number of arguments: car takes 1, got 0",
        ),
        (
            "(error \"Something bad:\" 42 'foo \"s\")",
            "test.scm:1: Something bad: 42 foo \"s\"",
        ),
        (
            "(1 2)",
            "test.scm:1: wrong type: application expects a procedure, got 1",
        ),
        ("(let ((x 1) y) x)", "test.scm:1: syntax error: bad binding"),
        (
            "(if)",
            "test.scm:1: syntax error: if takes a test and one or two branches",
        ),
        ("(/ 1 0)", "test.scm:1: division by zero"),
        (
            "(+ 1 \"a\")",
            "test.scm:1: wrong type: + expects a number, got \"a\"",
        ),
    ];
    for (source, message) in cases {
        assert_eq!(error(source), message, "{source}");
    }
}

#[test]
fn the_heap_limit_is_an_error() {
    let config = HeapConfig {
        max_heap_bytes: 16 * 1024 * 1024,
        ..config()
    };
    let program = "(define (grow n acc) (if (= n 0) acc (grow (- n 1) (cons (make-vector 100 n) acc))))\n\
                   (grow 10000000 '())";
    let (_, outcome) = run_with(config, program);
    let message = outcome.error.unwrap_or_default();
    assert!(
        message.starts_with("test.scm:1: heap limit reached: out of memory"),
        "{message}"
    );
}

#[test]
fn exit_ends_the_program_with_its_status() {
    let (output, outcome) = run_with(config(), "(display 1) (exit 3) (display 2)");
    assert_eq!(
        (output.as_str(), outcome.exit_code, outcome.error),
        ("1", 3, None)
    );
}

/// Every kind of object made and kept across allocations, with a collection at every single
/// allocation: a value the machine forgot to root would be lost or moved under it.
#[test]
fn a_collection_at_every_allocation_loses_nothing() {
    let program = r#"
      (define-record-type node (make-node l r) node? (l node-l) (r node-r))
      (define (tree d) (if (= d 0) (make-node #f #f) (make-node (tree (- d 1)) (tree (- d 1)))))
      (define (size t) (if (node-l t) (+ 1 (size (node-l t)) (size (node-r t))) 1))
      (define (adder n) (lambda (x) (+ x n 0.5)))
      (define v (make-vector 5 "s"))
      (vector-set! v 1 (string-append "a" "b"))
      (write (list (size (tree 6)) (map (adder 2) '(1 2 3)) v
                   (let loop ((i 0) (acc '())) (if (= i 50) (length acc) (loop (+ i 1) (cons (* i 1.5) acc))))
                   (call/cc (lambda (k) (k (list 'x (string->symbol "y")))))
                   `(,@(list 1 2) ,(vector 3))
                   (expt 3 30)))"#;
    let expected =
        "(127 (3.5 4.5 5.5) #(\"s\" \"ab\" \"s\" \"s\" \"s\") 50 (x y) (1 2 #(3)) 205891132094649)";
    for &choice in CollectorChoice::COMPILED_IN {
        let config = HeapConfig {
            stress_interval: NonZeroU32::new(1),
            ..HeapConfig::default()
        };
        let (output, outcome) =
            run_text(choice, config, program, "").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(outcome.error, None, "{choice:?}");
        assert_eq!(output, expected, "{choice:?}");
        assert!(outcome.gc_count > 1000, "{choice:?}: {outcome:?}");
        assert_eq!((outcome.leaked_roots, outcome.verify_error), (0, None));
    }
}

#[test]
fn multiple_values_case_lambda_and_character_input() {
    let program = r#"
      (let-values (((a b) (values 1 2)) ((c) (values 3))) (write (list a b c)))
      (define-values (x y . z) (values 1 2 3 4))
      (write (list x y z))
      (receive (q r) (floor/ -7 2) (write (list q r)))
      (define f (case-lambda ((a) (list 'one a)) ((a b) (list 'two a b)) ((a . rest) (list 'many a rest))))
      (write (list (f 1) (f 1 2) (f 1 2 3)))
      (define (g) (define-values (m n) (values 10 20)) (+ m n))
      (write (g))
      (write (string-map char-upcase "abc"))
      (string-for-each (lambda (c) (write c)) "xy")
      (write (call-with-values (lambda () (exact-integer-sqrt 17)) list))
      (write (read-line)) (write (read-char)) (write (peek-char)) (write (read))"#;
    let (output, outcome) = run_text(
        CollectorChoice::Auto,
        config(),
        program,
        "hello world\nxy 42\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcome.error, None);
    assert_eq!(
        output,
        "(1 2 3)(1 2 (3 4))(-4 1)((one 1) (two 1 2) (many 1 (2 3)))30\"ABC\"#\\x#\\y(4 1)\
         \"hello world\"#\\x#\\yy"
    );
}

#[test]
fn syntax_rules_macros() {
    let program = r#"
      (define-syntax swap!
        (syntax-rules () ((_ a b) (let ((tmp a)) (set! a b) (set! b tmp)))))
      (define x 1) (define y 2) (swap! x y) (write (list x y))
      (define-syntax my-or
        (syntax-rules () ((_) #f) ((_ e) e) ((_ e r ...) (let ((t e)) (if t t (my-or r ...))))))
      (write (my-or #f #f 3))
      (define-syntax for
        (syntax-rules (in) ((_ x in lst body ...) (for-each (lambda (x) body ...) lst))))
      (for e in '(1 2 3) (display e))
      (define-syntax pairs (syntax-rules () ((_ (a b) ...) (list (cons a b) ...))))
      (write (pairs (1 2) (3 4)))
      (define (f)
        (define-syntax inc! (syntax-rules () ((_ v) (set! v (+ v 1)))))
        (define n 0)
        (inc! n)
        (inc! n)
        n)
      (write (f))
      (define-syntax while
        (syntax-rules () ((_ c body ...) (let lp () (when c body ... (lp))))))
      (define i 0)
      (while (< i 3) (display i) (set! i (+ i 1)))
      (define-syntax nest (syntax-rules () ((_ (a ...) ...) '((a ... 0) ...))))
      (write (nest (1 2) (3)))"#;
    assert_eq!(
        output(program),
        "(2 1)3123((1 . 2) (3 . 4))2012((1 2 0) (3 0))"
    );
    assert_eq!(
        error("(define-syntax two (syntax-rules () ((_ a b) (list a b))))\n(two 1)"),
        "test.scm:2: syntax error: no syntax-rules pattern of two matches"
    );
}

#[test]
fn circular_data_and_runaway_macros_are_errors_not_crashes() {
    let circular = "(define x (list 1 2))\n(set-car! x x)\n(define y (list 1 2))\n(set-car! y y)\n(equal? x y)";
    assert_eq!(
        error(circular),
        "test.scm:5: equal?: data nested deeper than 100000 levels (circular?)"
    );
    let printed = output("(define x (list 1 2))\n(set-car! x x)\n(write x)");
    assert!(printed.starts_with("((((") && printed.contains("..."));
    let runaway = "(define-syntax f (syntax-rules () ((_ x) (f x))))\n(f 2)";
    assert_eq!(
        error(runaway),
        "test.scm:1: syntax error: forms nested deeper than 100000 levels (a macro that expands forever?)"
    );
    assert_eq!(
        error("(apply car)"),
        "test.scm:1: wrong number of arguments: apply takes at least 2, got 1"
    );
}

#[test]
fn primitives_can_be_redefined() {
    let program = "(define (first-of x) (car x))
                   (write (first-of '(1 2)))
                   (define (car x) 'mine)
                   (write (first-of '(1 2)))
                   (set! + -)
                   (write (+ 5 3))
                   (define plus *)
                   (write (plus 2 3))";
    assert_eq!(output(program), "1mine26");
}

/// `(write-heap-snapshot FILE)` writes what the program can reach, its stack's locals included,
/// as a snapshot the heap-snapshot tools read; it returns the file's name. A file that cannot
/// be written is an error naming it.
#[test]
fn a_heap_snapshot_holds_what_the_program_reaches() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("scheme.heapsnapshot");
    let program = format!(
        r#"(define-record-type point (make-point x y) point? (x point-x))
           (define kept (let loop ((i 0) (acc '()))
             (if (= i 300) acc (loop (+ i 1) (cons (make-point i i) acc)))))
           (define (f) (let ((local (make-vector 7 #f)))
             (display (write-heap-snapshot "{}")) (vector-length local)))
           (f)"#,
        path.display()
    );
    assert_eq!(output(&program), path.display().to_string());
    let snapshot = gc_heapsnapshot::reader::read_snapshot(&path).unwrap();
    let count = |class: &str| {
        (0..snapshot.node_count())
            .filter(|&node| snapshot.class_name(node) == class)
            .count()
    };
    assert_eq!(count("Record"), 300);
    assert_eq!(count("Vector"), 1, "the stack's vector");
    let error = error(r#"(write-heap-snapshot "/nonexistent-folder/x.heapsnapshot")"#);
    assert!(
        error.contains("cannot write the heap snapshot `/nonexistent-folder/x.heapsnapshot`: "),
        "{error}"
    );
}

/// R7RS procedures the suite's other programs call (peval's `caddar`, scheme's `char-ci=?`):
/// every `c[ad]r` to four levels, case-folding comparisons, `make-list`, the `copy!`s, the
/// inexact library; results as Guile 3 gives them (but `tan` of an exact 0 is inexact here).
#[test]
fn the_rest_of_the_base_char_cxr_and_inexact_libraries() {
    let program = r#"
      (write (list (caddar '((1 2 3))) (cdaddr '(1 2 (3 4))) (cadadr '(1 (2 3)))
        (char-ci=? #\a #\A) (string-ci<? "abc" "ABD") (string-ci=? "HeLLo" "hello")
        (char-foldcase #\Q) (string-upcase "abc") (string-downcase "ABC") (string-foldcase "AbC")
        (make-list 3 'x) (length (make-list 2)) (vector-append #(1 2) #() #(3))
        (let ((v (vector 1 2 3 4 5))) (vector-copy! v 1 v 0 3) v)
        (let ((s (make-string 5 #\-))) (string-copy! s 1 "abcd" 1 3) s)
        (tan 0) (asin 0) (acos 1) (finite? 1.0) (infinite? (/ 1.0 0.)) (nan? (/ 0. 0.))))"#;
    assert_eq!(
        output(program),
        r#"(3 (4) 3 #t #t #t #\q "ABC" "abc" "abc" (x x x) 2 #(1 2 3) #(1 1 2 3 5) "-bc--" 0.0 0.0 0.0 #t #t #t)"#
    );
    assert_eq!(
        error("(vector-copy! (vector 1 2) 1 #(1 2 3))"),
        "test.scm:1: vector-copy!: 3 elements do not fit at 1 in length 2"
    );
    assert_eq!(
        error("(string-copy! (make-string 2) 0 \"abc\" 2 1)"),
        "test.scm:1: string-copy!: [2, 1) is not a range of length 3"
    );
    assert_eq!(
        error("(substring \"abc\" 1 4)"),
        "test.scm:1: substring: [1, 4) is not a range of length 3"
    );
}

/// Ports: strings and files, read and written datum by datum, character by character and line
/// by line; the `call-with-…` and `with-…` procedures; their errors.
#[test]
fn string_and_file_ports() {
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("data.txt");
    let program = format!(
        r#"(define name "{}")
           (call-with-output-file name
             (lambda (port) (write '(1 "two" #\3) port) (newline port) (display "λ line" port)))
           (write (call-with-input-file name
             (lambda (port) (let* ((d (read port)) (c (read-char port)) (l (read-line port)))
                              (list d c l (eof-object? (read port)))))))
           (with-output-to-file name (lambda () (display "inside")))
           (write (with-input-from-file name read-line))
           (let ((out (open-output-string)))
             (write 'sym out) (write-string " and " out) (write-char #\c out)
             (write (get-output-string out)))
           (let ((in (open-input-string "12 (a)")))
             (write (list (read in) (peek-char in) (read in) (read in) (input-port? in)
                          (output-port? in) (input-port-open? in)))
             (close-port in)
             (write (input-port-open? in)))
           (write (file-exists? name)) (delete-file name) (write (file-exists? name))"#,
        file.display()
    );
    assert_eq!(
        output(&program),
        r#"((1 "two" #\3) #\newline "λ line" #t)"inside""sym and c"(12 #\space (a) #<eof> #t #f #t)#f#t#f"#
    );
    assert_eq!(
        error(r#"(open-input-file "/nonexistent/x")"#),
        "test.scm:1: input/output error: open-input-file: cannot open `/nonexistent/x`: No such \
         file or directory (os error 2)"
    );
    assert_eq!(
        error(r#"(let ((p (open-input-string "x"))) (close-port p) (read p))"#),
        "test.scm:1: read: the port is closed"
    );
    assert_eq!(
        error(r#"(display 1 (open-input-string "x"))"#),
        "test.scm:1: display: not an output port"
    );
    // A failing thunk still gives back the current output port.
    let restored = format!(
        r#"(define (f) (with-output-to-file "{}" (lambda () (car '()))))
           (display (call/cc (lambda (k) (dynamic-wind (lambda () #f) f (lambda () (k "back"))))))"#,
        folder.path().join("out.txt").display()
    );
    assert_eq!(output(&restored), "back");
}
