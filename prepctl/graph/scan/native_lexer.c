/* The import lexer's hot path in C: an optional accelerator for prepctl.graph.scan.lexer.
 *
 * Two functions, each a literal translation of the pure-Python code it replaces, so that both
 * give the same answer on every input (tests/graph/scan/test_native_lexer.py compares them on
 * the standard library, site-packages and seeded mutations of those files):
 *
 *   lex_spans(text, upto, starts, ends) -> int
 *       One step of Source.lex: the string and comment spans of the regex ``source._LEX``,
 *       appended to ``starts``/``ends`` from the end of the last span until one ends at or past
 *       ``upto``. Returns the new ``lexed_to``, or -1 for an unterminated string (Unsure).
 *
 *   scan_imports(text, starts, ends, search_from, line_no, counted_to, found, raw_import,
 *                from_flag) -> (pos, line_no, counted_to)
 *       The loop of lexer._lex over the ``import`` keywords from ``search_from``: words that
 *       are part of a longer name or inside a string/comment are skipped, lines are counted,
 *       and an ordinary statement at column 0 that ``lexer._SIMPLE_STATEMENT`` matches with
 *       ASCII names is appended to ``found`` as ``raw_import`` values. At the first keyword it
 *       does not handle (indented, unusual, non-ASCII names...) it stops and returns that
 *       keyword's position, so Python handles it exactly as before; pos is -1 when no keyword
 *       is left.
 *
 *   dynamic_calls(text) -> [(start, end), ...]
 *       The matches of the regex ``lexer._DYNAMIC_CALL`` (candidate dynamic imports).
 *
 * No state outlives a call except two interned constant strings, so forked workers can use it.
 * It reads text only; nothing scanned is ever executed.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t len;
} Text;

#define CH(t, i) PyUnicode_READ((t)->kind, (t)->data, (i))

static PyObject *IMPORT_WORD; /* "import", immutable */
static PyObject *NEWLINE;     /* "\n", immutable */

static int
text_init(Text *t, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "text must be a str");
        return -1;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(text) < 0) {
        return -1;
    }
#endif
    t->kind = PyUnicode_KIND(text);
    t->data = PyUnicode_DATA(text);
    t->len = PyUnicode_GET_LENGTH(text);
    return 0;
}

/* Python's \w (re, str patterns) and str.isalnum() or "_": the same test. */
static inline int
is_word(Py_UCS4 c)
{
    return c == '_' || Py_UNICODE_ISALNUM(c);
}

/* ---- strings and comments (source._LEX) ---- */

/* After the opening quote at p: the body of a one-line string and its closing quote.
 * Mirrors [^"\\\r\n]*(?:\\.[^"\\\r\n]*)*" with re.S (an escape may take a newline). */
static Py_ssize_t
match_single(const Text *t, Py_ssize_t p, Py_UCS4 q)
{
    while (p < t->len) {
        Py_UCS4 c = CH(t, p);
        if (c == q) {
            return p + 1;
        }
        if (c == '\\') {
            if (p + 1 >= t->len) {
                return -1;
            }
            p += 2;
            continue;
        }
        if (c == '\r' || c == '\n') {
            return -1;
        }
        p++;
    }
    return -1;
}

/* After the opening quote at p: ""body""" of a triple-quoted string.
 * Mirrors ""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*""" with re.S. */
static Py_ssize_t
match_triple(const Text *t, Py_ssize_t p, Py_UCS4 q)
{
    if (p + 1 >= t->len || CH(t, p) != q || CH(t, p + 1) != q) {
        return -1;
    }
    p += 2;
    while (p < t->len) {
        Py_UCS4 c = CH(t, p);
        if (c == '\\') {
            if (p + 1 >= t->len) {
                return -1;
            }
            p += 2;
            continue;
        }
        if (c == q && p + 2 < t->len && CH(t, p + 1) == q && CH(t, p + 2) == q) {
            return p + 3;
        }
        p++;
    }
    return -1;
}

/* The end of the _LEX match that starts with the '#', '"' or '\'' at s. */
static Py_ssize_t
match_span(const Text *t, Py_ssize_t s)
{
    Py_UCS4 c = CH(t, s);
    Py_ssize_t p = s + 1;
    if (c == '#') {
        while (p < t->len) {
            Py_UCS4 d = CH(t, p);
            if (d == '\r' || d == '\n') {
                break;
            }
            p++;
        }
        return p;
    }
    Py_ssize_t end = match_triple(t, p, c);
    if (end < 0) {
        end = match_single(t, p, c);
    }
    return end < 0 ? s + 1 : end; /* a lone quote: the regex's empty last branch */
}

/* Append a new reference to list and drop ours; NULL (its error already set) appends nothing.
 * 0 done, -1 error. */
static int
append_new(PyObject *list, PyObject *item)
{
    if (item == NULL) {
        return -1;
    }
    int rc = PyList_Append(list, item);
    Py_DECREF(item);
    return rc;
}

static int
append_ssize(PyObject *list, Py_ssize_t value)
{
    return append_new(list, PyLong_FromSsize_t(value));
}

static Py_ssize_t
list_ssize(PyObject *list, Py_ssize_t index)
{
    return PyLong_AsSsize_t(PyList_GET_ITEM(list, index));
}

static PyObject *
lex_spans(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 4 || !PyList_Check(args[2]) || !PyList_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError, "lex_spans(text, upto, starts, ends)");
        return NULL;
    }
    Text t;
    if (text_init(&t, args[0]) < 0) {
        return NULL;
    }
    Py_ssize_t upto = PyLong_AsSsize_t(args[1]);
    if (upto == -1 && PyErr_Occurred()) {
        return NULL;
    }
    PyObject *starts = args[2], *ends = args[3];
    Py_ssize_t count = PyList_GET_SIZE(ends);
    Py_ssize_t pos = count ? list_ssize(ends, count - 1) : 0;
    if (pos == -1 && PyErr_Occurred()) {
        return NULL;
    }
    while (pos < t.len) {
        Py_ssize_t s = pos;
        while (s < t.len) {
            Py_UCS4 c = CH(&t, s);
            if (c == '#' || c == '"' || c == '\'') {
                break;
            }
            s++;
        }
        if (s >= t.len) {
            break;
        }
        Py_ssize_t e = match_span(&t, s);
        if (e - s == 1 && CH(&t, s) != '#') {
            return PyLong_FromLong(-1); /* unterminated string: Unsure */
        }
        if (append_ssize(starts, s) < 0 || append_ssize(ends, e) < 0) {
            return NULL;
        }
        pos = e;
        if (e >= upto) {
            break;
        }
    }
    count = PyList_GET_SIZE(ends);
    if (count == 0) {
        return PyLong_FromSsize_t(t.len);
    }
    Py_ssize_t last = list_ssize(ends, count - 1);
    if (last == -1 && PyErr_Occurred()) {
        return NULL;
    }
    return PyLong_FromSsize_t(last < upto ? t.len : last);
}

/* ---- ordinary import statements at column 0 (lexer._SIMPLE_STATEMENT) ---- */

static inline int
is_blank(Py_UCS4 c)
{
    return c == ' ' || c == '\t';
}

static inline int
is_name_start(Py_UCS4 c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static inline int
is_name_char(Py_UCS4 c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

static Py_ssize_t
skip_blanks(const Text *t, Py_ssize_t p)
{
    while (p < t->len && is_blank(CH(t, p))) {
        p++;
    }
    return p;
}

static int
has_word(const Text *t, Py_ssize_t p, const char *word)
{
    for (; *word; word++, p++) {
        if (p >= t->len || CH(t, p) != (Py_UCS4)(unsigned char)*word) {
            return 0;
        }
    }
    return 1;
}

/* An ASCII name at p: its end, or -1. A non-ASCII letter next to it makes the caller give up
 * (the next character is then no delimiter it accepts), so Unicode names go to Python. */
static Py_ssize_t
read_name(const Text *t, Py_ssize_t p)
{
    if (p >= t->len || !is_name_start(CH(t, p))) {
        return -1;
    }
    p++;
    while (p < t->len && is_name_char(CH(t, p))) {
        p++;
    }
    return p;
}

static Py_ssize_t
read_dotted(const Text *t, Py_ssize_t p)
{
    p = read_name(t, p);
    while (p >= 0 && p + 1 < t->len && CH(t, p) == '.' && is_name_start(CH(t, p + 1))) {
        p = read_name(t, p + 1);
    }
    return p;
}

/* After an item at p: `[ \t]+as[ \t]+NAME` if there is one; the position after it. */
static Py_ssize_t
skip_alias(const Text *t, Py_ssize_t p)
{
    Py_ssize_t q = skip_blanks(t, p);
    if (q == p || !has_word(t, q, "as")) {
        return p;
    }
    Py_ssize_t r = skip_blanks(t, q + 2);
    if (r == q + 2) {
        return p;
    }
    Py_ssize_t end = read_name(t, r);
    return end < 0 ? p : end;
}

/* `[ \t]*(?:#[^\n]*)?$` at p: the end of the line, or -1. */
static Py_ssize_t
line_tail(const Text *t, Py_ssize_t p)
{
    p = skip_blanks(t, p);
    if (p < t->len && CH(t, p) == '#') {
        while (p < t->len && CH(t, p) != '\n') {
            p++;
        }
    }
    return (p >= t->len || CH(t, p) == '\n') ? p : -1;
}

/* `[ \t]*,[ \t]*` at p: the position after it, or -1. */
static Py_ssize_t
skip_comma(const Text *t, Py_ssize_t p)
{
    p = skip_blanks(t, p);
    if (p >= t->len || CH(t, p) != ',') {
        return -1;
    }
    return skip_blanks(t, p + 1);
}

static int
append_substring(PyObject *list, PyObject *text, Py_ssize_t start, Py_ssize_t end)
{
    return append_new(list, PyUnicode_Substring(text, start, end));
}

/* The names of `(...)` as lexer._parse_names(inner, in_parens=True) reads them, for an inner
 * text of ASCII names, commas and whitespace only. 1: appended to names; 0: let Python decide. */
static int
paren_names(const Text *t, PyObject *text, Py_ssize_t p, Py_ssize_t end, PyObject *names)
{
    int expect_item = 1; /* at the start or just after a comma */
    for (;;) {
        while (p < end && (is_blank(CH(t, p)) || CH(t, p) == '\n')) {
            p++;
        }
        if (p >= end) {
            /* A trailing comma is allowed; nothing at all is not. */
            return PyList_GET_SIZE(names) > 0 ? 1 : 0;
        }
        if (!expect_item) {
            if (CH(t, p) != ',') {
                return 0;
            }
            p++;
            expect_item = 1;
            continue;
        }
        Py_ssize_t name_end = read_name(t, p);
        if (name_end < 0) {
            return 0; /* an empty item (`a,,b`) or anything else */
        }
        if (append_substring(names, text, p, name_end) < 0) {
            return -1;
        }
        p = name_end;
        /* `\s+as\s+NAME`: whitespace here may include newlines. */
        Py_ssize_t q = p;
        while (q < end && (is_blank(CH(t, q)) || CH(t, q) == '\n')) {
            q++;
        }
        if (q > p && q + 2 <= end && has_word(t, q, "as")) {
            Py_ssize_t r = q + 2;
            while (r < end && (is_blank(CH(t, r)) || CH(t, r) == '\n')) {
                r++;
            }
            if (r > q + 2) {
                Py_ssize_t alias_end = read_name(t, r);
                if (alias_end < 0 || alias_end > end) {
                    return 0;
                }
                p = alias_end;
            }
        }
        expect_item = 0;
    }
}

static PyObject *
make_raw(PyObject *raw_import, Py_ssize_t line, Py_ssize_t level, PyObject *module_name,
         PyObject *names, long flags)
{
    PyObject *line_obj = PyLong_FromSsize_t(line);
    PyObject *level_obj = PyLong_FromSsize_t(level);
    PyObject *flags_obj = PyLong_FromLong(flags);
    PyObject *result = NULL;
    if (line_obj && level_obj && flags_obj) {
        PyObject *args[5] = {line_obj, level_obj, module_name, names, flags_obj};
        result = PyObject_Vectorcall(raw_import, args, 5, NULL);
    }
    Py_XDECREF(line_obj);
    Py_XDECREF(level_obj);
    Py_XDECREF(flags_obj);
    return result;
}

static int
append_raw(PyObject *found, PyObject *raw_import, Py_ssize_t line, Py_ssize_t level,
           PyObject *module_name, PyObject *names, long flags)
{
    return append_new(found, make_raw(raw_import, line, level, module_name, names, flags));
}

/* `import a.b as c, d` from line_start (the keyword there). 1 done (end set), 0 give up. */
static int
simple_import(const Text *t, PyObject *text, Py_ssize_t line_start, Py_ssize_t line_no,
              PyObject *found, PyObject *raw_import, Py_ssize_t *end)
{
    Py_ssize_t p = line_start + 6;
    Py_ssize_t q = skip_blanks(t, p);
    if (q == p) {
        return 0;
    }
    Py_ssize_t item_starts[64], item_ends[64];
    int items = 0;
    p = q;
    for (;;) {
        Py_ssize_t dotted_end = read_dotted(t, p);
        if (dotted_end < 0 || items == 64) {
            return 0;
        }
        item_starts[items] = p;
        item_ends[items] = dotted_end;
        items++;
        p = skip_alias(t, dotted_end);
        Py_ssize_t next = skip_comma(t, p);
        if (next < 0) {
            break;
        }
        p = next;
    }
    Py_ssize_t tail = line_tail(t, p);
    if (tail < 0) {
        return 0;
    }
    PyObject *no_names = PyTuple_New(0);
    if (no_names == NULL) {
        return -1;
    }
    for (int i = 0; i < items; i++) {
        PyObject *module_name = PyUnicode_Substring(text, item_starts[i], item_ends[i]);
        if (module_name == NULL) {
            Py_DECREF(no_names);
            return -1;
        }
        int rc = append_raw(found, raw_import, line_no, 0, module_name, no_names, 0);
        Py_DECREF(module_name);
        if (rc < 0) {
            Py_DECREF(no_names);
            return -1;
        }
    }
    Py_DECREF(no_names);
    *end = tail;
    return 1;
}

/* `from ..a.b import c as d, e` / `import *` / `import (...)` from line_start. */
static int
simple_from(const Text *t, PyObject *text, Py_ssize_t line_start, Py_ssize_t line_no,
            PyObject *found, PyObject *raw_import, long from_flag, Py_ssize_t *end)
{
    Py_ssize_t p = skip_blanks(t, line_start + 4);
    if (p == line_start + 4) {
        return 0;
    }
    Py_ssize_t dots_start = p;
    while (p < t->len && CH(t, p) == '.') {
        p++;
    }
    Py_ssize_t level = p - dots_start;
    Py_ssize_t module_start = p, module_end = p;
    if (p < t->len && is_name_start(CH(t, p))) {
        module_end = read_dotted(t, p);
        p = module_end;
    }
    if (level == 0 && module_end == module_start) {
        return 0; /* the regex could still match by giving back blanks: Python decides */
    }
    Py_ssize_t q = skip_blanks(t, p);
    if (q == p || !has_word(t, q, "import")) {
        return 0;
    }
    p = q + 6;
    q = skip_blanks(t, p);
    int blank_before = q > p;
    p = q;
    PyObject *names = PyList_New(0);
    if (names == NULL) {
        return -1;
    }
    Py_ssize_t tail = -1;
    if (p < t->len && CH(t, p) == '*') {
        PyObject *star = PyUnicode_FromString("*");
        if (star == NULL || PyList_Append(names, star) < 0) {
            Py_XDECREF(star);
            Py_DECREF(names);
            return -1;
        }
        Py_DECREF(star);
        tail = line_tail(t, p + 1);
    }
    else if (p < t->len && CH(t, p) == '(') {
        Py_ssize_t close = p + 1;
        while (close < t->len) {
            Py_UCS4 c = CH(t, close);
            if (c == ')') {
                break;
            }
            if (!(is_name_char(c) || c == ',' || is_blank(c) || c == '\n')) {
                close = t->len; /* comments, strings, backslashes, non-ASCII: Python */
                break;
            }
            close++;
        }
        if (close < t->len) {
            tail = line_tail(t, close + 1);
            if (tail >= 0) {
                int rc = paren_names(t, text, p + 1, close, names);
                if (rc <= 0) {
                    Py_DECREF(names);
                    return rc;
                }
            }
        }
    }
    else if (blank_before) {
        for (;;) {
            Py_ssize_t name_end = read_name(t, p);
            if (name_end < 0) {
                break;
            }
            if (append_substring(names, text, p, name_end) < 0) {
                Py_DECREF(names);
                return -1;
            }
            p = skip_alias(t, name_end);
            Py_ssize_t next = skip_comma(t, p);
            if (next < 0) {
                tail = line_tail(t, p);
                break;
            }
            p = next;
        }
    }
    if (tail < 0 || PyList_GET_SIZE(names) == 0) {
        Py_DECREF(names);
        return 0;
    }
    PyObject *names_tuple = PyList_AsTuple(names);
    Py_DECREF(names);
    if (names_tuple == NULL) {
        return -1;
    }
    PyObject *module_name = PyUnicode_Substring(text, module_start, module_end);
    if (module_name == NULL) {
        Py_DECREF(names_tuple);
        return -1;
    }
    int rc = append_raw(found, raw_import, line_no, level, module_name, names_tuple, from_flag);
    Py_DECREF(module_name);
    Py_DECREF(names_tuple);
    if (rc < 0) {
        return -1;
    }
    *end = tail;
    return 1;
}

/* ---- dynamic import calls (lexer._DYNAMIC_CALL) ---- */

static const char *const DYNAMIC_WORDS[] = {"__import__", "import_module", "run_module", "exec"};

/* Every match of (?:__import__|import_module|run_module|exec)\b, as finditer finds them (left to
 * right, not overlapping): a list of (start, end). The words start with different letters, so at
 * most one can match at a position. */
static PyObject *
dynamic_calls(PyObject *module, PyObject *text)
{
    (void)module;
    Text t;
    if (text_init(&t, text) < 0) {
        return NULL;
    }
    PyObject *out = PyList_New(0);
    if (out == NULL) {
        return NULL;
    }
    Py_ssize_t p = 0;
    while (p < t.len) {
        Py_UCS4 c = CH(&t, p);
        int which = c == '_' ? 0 : c == 'i' ? 1 : c == 'r' ? 2 : c == 'e' ? 3 : -1;
        if (which < 0) {
            p++;
            continue;
        }
        const char *word = DYNAMIC_WORDS[which];
        Py_ssize_t end = p + (Py_ssize_t)strlen(word);
        if (!has_word(&t, p, word) || (end < t.len && is_word(CH(&t, end)))) {
            p++;
            continue;
        }
        PyObject *match = Py_BuildValue("(nn)", p, end);
        if (match == NULL || PyList_Append(out, match) < 0) {
            Py_XDECREF(match);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(match);
        p = end;
    }
    return out;
}

/* Index of the last span starting at or before pos (bisect_right - 1) in the sorted starts. */
static Py_ssize_t
span_index(PyObject *starts, Py_ssize_t count, Py_ssize_t pos)
{
    Py_ssize_t low = 0, high = count;
    while (low < high) {
        Py_ssize_t mid = (low + high) / 2;
        if (list_ssize(starts, mid) <= pos) {
            low = mid + 1;
        }
        else {
            high = mid;
        }
    }
    return low - 1;
}

static PyObject *
scan_imports(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 9 || !PyList_Check(args[1]) || !PyList_Check(args[2]) || !PyList_Check(args[6])) {
        PyErr_SetString(PyExc_TypeError, "scan_imports(text, starts, ends, search_from, line_no, "
                                         "counted_to, found, raw_import, from_flag)");
        return NULL;
    }
    PyObject *text = args[0], *starts = args[1], *ends = args[2], *found = args[6];
    PyObject *raw_import = args[7];
    Text t;
    if (text_init(&t, text) < 0) {
        return NULL;
    }
    Py_ssize_t search_from = PyLong_AsSsize_t(args[3]);
    Py_ssize_t line_no = PyLong_AsSsize_t(args[4]);
    Py_ssize_t counted_to = PyLong_AsSsize_t(args[5]);
    long from_flag = PyLong_AsLong(args[8]);
    if (PyErr_Occurred()) {
        return NULL;
    }
    Py_ssize_t span_count = PyList_GET_SIZE(starts);
    if (PyList_GET_SIZE(ends) != span_count) {
        PyErr_SetString(PyExc_ValueError, "starts and ends differ in length");
        return NULL;
    }
    Py_ssize_t span = span_index(starts, span_count, search_from);
    Py_ssize_t p = search_from;
    for (;;) {
        Py_ssize_t pos = PyUnicode_Find(text, IMPORT_WORD, p, t.len, 1);
        if (pos == -2) {
            return NULL;
        }
        if (pos == -1) {
            break;
        }
        if (pos + 6 < t.len && is_word(CH(&t, pos + 6))) {
            p = pos + 1; /* importlib, imports, ... */
            continue;
        }
        p = pos + 6;
        if (pos > 0 && is_word(CH(&t, pos - 1))) {
            continue; /* the end of a longer name: reimport, __import__ ... */
        }
        while (span + 1 < span_count && list_ssize(starts, span + 1) <= pos) {
            span++;
        }
        if (span >= 0 && list_ssize(ends, span) > pos) {
            continue; /* in a string or comment */
        }
        if (PyErr_Occurred()) {
            return NULL;
        }
        Py_ssize_t newlines = PyUnicode_Count(text, NEWLINE, counted_to, pos);
        if (newlines < 0) {
            return NULL;
        }
        line_no += newlines;
        counted_to = pos;
        Py_ssize_t line_start = PyUnicode_FindChar(text, '\n', 0, pos, -1);
        if (line_start == -2) {
            return NULL;
        }
        line_start += 1;
        int done = 0;
        Py_ssize_t end = -1;
        /* Column 0 and not continued from the line above (`\` at its end): the common case. */
        if (line_start < 2 || CH(&t, line_start - 2) != '\\') {
            if (line_start == pos) {
                done = simple_import(&t, text, line_start, line_no, found, raw_import, &end);
            }
            else if (has_word(&t, line_start, "from")) {
                done = simple_from(&t, text, line_start, line_no, found, raw_import, from_flag, &end);
            }
        }
        if (done < 0) {
            return NULL;
        }
        if (!done) {
            return Py_BuildValue("nnn", pos, line_no, counted_to);
        }
        p = end > p ? end : p;
    }
    return Py_BuildValue("nnn", (Py_ssize_t)-1, line_no, counted_to);
}

static PyMethodDef methods[] = {
    {"lex_spans", (PyCFunction)(void (*)(void))lex_spans, METH_FASTCALL,
     "Append string/comment spans up to at least `upto`; the new lexed_to, or -1 (Unsure)."},
    {"scan_imports", (PyCFunction)(void (*)(void))scan_imports, METH_FASTCALL,
     "Handle import keywords from search_from; (pos needing Python or -1, line_no, counted_to)."},
    {"dynamic_calls", (PyCFunction)dynamic_calls, METH_O,
     "(start, end) of every __import__ / import_module / run_module / exec word, as the regex."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "prepctl.graph.scan.native_lexer",
    "The import lexer's hot path in C (optional; prepctl.graph.scan.lexer falls back to Python).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit_native_lexer(void)
{
    if (IMPORT_WORD == NULL) {
        IMPORT_WORD = PyUnicode_InternFromString("import");
        NEWLINE = PyUnicode_InternFromString("\n");
        if (IMPORT_WORD == NULL || NEWLINE == NULL) {
            return NULL;
        }
    }
    return PyModule_Create(&module_def);
}
