/* explorer.codec._speedups: the Python side of the C loops (explorer/codec/speedups.py wraps
 * it; _speedups.pyi types it). Each call copies what it needs out of Python objects, releases
 * the GIL for the loop, and builds its answer with the GIL again. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "speedups.h"
#include "tensor_text.h"

/* --- Buffer: memory a loop filled, handed to numpy without a copy ---------------------- */

typedef struct {
    PyObject_HEAD void *data;
    Py_ssize_t size;
} Buffer;

static int buffer_get(PyObject *self, Py_buffer *view, int flags) {
    Buffer *b = (Buffer *)self;
    return PyBuffer_FillInfo(view, self, b->data, b->size, 0, flags);
}

static void buffer_dealloc(PyObject *self) {
    free(((Buffer *)self)->data);
    Py_TYPE(self)->tp_free(self);
}

static PyBufferProcs buffer_procs = {buffer_get, NULL};

static PyTypeObject BufferType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "explorer.codec._speedups.Buffer",
    .tp_basicsize = sizeof(Buffer),
    .tp_dealloc = buffer_dealloc,
    .tp_as_buffer = &buffer_procs,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Memory filled by a C loop (the buffer protocol hands it to numpy).",
};

static PyObject *new_buffer(void *data, Py_ssize_t size) {
    Buffer *b = PyObject_New(Buffer, &BufferType);
    if (!b)
        return NULL;
    b->data = data;
    b->size = size;
    return (PyObject *)b;
}

/* --- read_predict --------------------------------------------------------------------- */

static PyObject *text(span s) {
    /* Strict UTF-8 (NULL and no error set when the bytes are not UTF-8). */
    PyObject *t = PyUnicode_DecodeUTF8(s.at, (Py_ssize_t)s.len, "strict");
    if (!t && PyErr_ExceptionMatches(PyExc_UnicodeDecodeError))
        PyErr_Clear();
    return t;
}

static PyObject *column_tuple(column *c) {
    PyObject *name = text(c->name);
    if (!name)
        return NULL;
    PyObject *dims = PyTuple_New(c->rank);
    if (!dims) {
        Py_DECREF(name);
        return NULL;
    }
    for (int d = 0; d < c->rank; d++)
        PyTuple_SET_ITEM(dims, d, PyLong_FromLongLong(c->dims[d]));
    PyObject *buffer = new_buffer(c->slots, (Py_ssize_t)(c->count * sizeof *c->slots));
    if (!buffer) {
        Py_DECREF(name);
        Py_DECREF(dims);
        return NULL;
    }
    c->slots = NULL; /* the buffer owns them now */
    PyObject *values = PyMemoryView_FromObject(buffer);
    Py_DECREF(buffer);
    if (!values) {
        Py_DECREF(name);
        Py_DECREF(dims);
        return NULL;
    }
    PyObject *low = c->is_double ? Py_NewRef(Py_None) : PyLong_FromLongLong(c->low);
    PyObject *high = c->is_double  ? Py_NewRef(Py_None)
                     : c->has_big ? PyLong_FromUnsignedLongLong((uint64_t)c->high)
                                  : PyLong_FromLongLong(c->high);
    return Py_BuildValue("(NNNONN)", name, dims, values, c->is_double ? Py_True : Py_False, low,
                         high);
}

static PyObject *read_predict(PyObject *module, PyObject *args, PyObject *kwargs) {
    (void)module;
    static char *names[] = {"", "split_bytes", "search_first", NULL};
    PyObject *body;
    Py_ssize_t split_bytes = -1;
    int search_first = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|$np", names, &body, &split_bytes,
                                     &search_first))
        return NULL;
    const char *data;
    Py_ssize_t length;
    if (PyBytes_Check(body)) {
        data = PyBytes_AS_STRING(body);
        length = PyBytes_GET_SIZE(body);
    } else if (PyUnicode_Check(body)) {
        data = PyUnicode_AsUTF8AndSize(body, &length);
        if (!data) { /* a lone surrogate: the exact path sends it as it is */
            if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError))
                return NULL;
            PyErr_Clear();
            Py_RETURN_NONE;
        }
    } else {
        PyErr_SetString(PyExc_TypeError, "read_predict takes bytes or str");
        return NULL;
    }
    predict_body parsed;
    int read;
    Py_BEGIN_ALLOW_THREADS read = read_predict_body(
        data, (size_t)length, split_bytes < 0 ? SPLIT_BYTES : (size_t)split_bytes, search_first,
        &parsed);
    Py_END_ALLOW_THREADS if (read < 0) {
        body_free(&parsed);
        return PyErr_NoMemory();
    }
    PyObject *result = NULL, *keys = NULL, *signature = NULL, *columns = NULL;
    if (read == 0)
        goto decline;
    if (!(keys = PyTuple_New(parsed.key_count)))
        goto done;
    for (int k = 0; k < parsed.key_count; k++)
        PyTuple_SET_ITEM(keys, k, text(parsed.keys[k])); /* ASCII: the three known names */
    if (parsed.has_signature) {
        if (!(signature = text(parsed.signature)))
            goto decline_or_error;
    } else
        signature = Py_NewRef(Py_None);
    if (!(columns = PyTuple_New(parsed.column_count)))
        goto done;
    for (int k = 0; k < parsed.column_count; k++) {
        PyObject *c = column_tuple(&parsed.columns[k]);
        if (!c)
            goto decline_or_error;
        PyTuple_SET_ITEM(columns, k, c);
    }
    result = Py_BuildValue("(OOOOO)", keys, signature, parsed.instances ? Py_True : Py_False,
                           parsed.plain ? Py_True : Py_False, columns);
    goto done;
decline_or_error:
    if (PyErr_Occurred())
        goto done;
decline: /* a name that is not UTF-8, or not a body read here: the exact path's */
    result = Py_NewRef(Py_None);
done:
    Py_XDECREF(keys);
    Py_XDECREF(signature);
    Py_XDECREF(columns);
    body_free(&parsed);
    return result;
}

/* --- join_numbers --------------------------------------------------------------------- */

static int as_piece(PyObject *bytes, piece *p) {
    if (!PyBytes_Check(bytes)) {
        PyErr_SetString(PyExc_TypeError, "separators, head and tail are bytes");
        return 0;
    }
    p->text = PyBytes_AS_STRING(bytes);
    p->len = (size_t)PyBytes_GET_SIZE(bytes);
    for (size_t k = 0; k < p->len; k++)
        if ((unsigned char)p->text[k] > 0x7F) {
            PyErr_SetString(PyExc_ValueError, "separators, head and tail are ASCII");
            return 0;
        }
    return 1;
}

static PyObject *join_numbers_py(PyObject *module, PyObject *args, PyObject *kwargs) {
    (void)module;
    static char *names[] = {"values", "kind", "itemsize", "shape", "separators",
                            "head", "tail", "exact_printf", NULL};
    Py_buffer view;
    int kind, itemsize, exact_printf = 0;
    PyObject *shape_obj, *separators_obj, *head_obj, *tail_obj;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "y*CiO!O!SS|p", names, &view, &kind,
                                     &itemsize, &PyTuple_Type, &shape_obj, &PyTuple_Type,
                                     &separators_obj, &head_obj, &tail_obj, &exact_printf))
        return NULL;
    PyObject *result = NULL;
    int rank = (int)PyTuple_GET_SIZE(shape_obj);
    int64_t shape[MAX_RANK];
    piece separators[MAX_RANK], head, tail;
    size_t bound = token_bound((char)kind, itemsize);
    if (!bound || rank > MAX_RANK || PyTuple_GET_SIZE(separators_obj) != (rank ? rank : 1)) {
        PyErr_SetString(PyExc_ValueError, "join_numbers: unknown kind, or shape and separators "
                                          "do not match");
        goto done;
    }
    int64_t count = 1;
    for (int d = 0; d < rank; d++) {
        shape[d] = PyLong_AsLongLong(PyTuple_GET_ITEM(shape_obj, d));
        if (shape[d] < 0) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "join_numbers: a negative dimension");
            goto done;
        }
        count *= shape[d];
    }
    if (count * itemsize != view.len) {
        PyErr_SetString(PyExc_ValueError, "join_numbers: the shape does not fit the values");
        goto done;
    }
    for (int k = 0; k < (rank ? rank : 1); k++)
        if (!as_piece(PyTuple_GET_ITEM(separators_obj, k), &separators[k]))
            goto done;
    if (!as_piece(head_obj, &head) || !as_piece(tail_obj, &tail))
        goto done;
    /* Exactly as many separators of each kind as there are places for them: where k or more
     * inner arrays close, the index is a multiple of the last k dimensions' product. */
    size_t size = head.len + tail.len + (size_t)count * bound;
    if (rank && count) {
        int64_t product = 1, previous = count; /* places where k or more close, plus one */
        for (int k = 1; k < rank; k++) {
            product *= shape[rank - k];
            int64_t at_least = count / product;
            size += (size_t)(previous - at_least) * separators[k - 1].len;
            previous = at_least;
        }
        size += (size_t)(previous - 1) * separators[rank - 1].len;
    }
    PyObject *out = PyUnicode_New((Py_ssize_t)(size + JOIN_SLACK), 127);
    if (!out)
        goto done;
    size_t written;
    Py_BEGIN_ALLOW_THREADS written = join_numbers(
        view.buf, (char)kind, itemsize, shape, rank, separators, head, tail, exact_printf,
        (char *)PyUnicode_1BYTE_DATA(out));
    Py_END_ALLOW_THREADS if (PyUnicode_Resize(&out, (Py_ssize_t)written) < 0) goto done;
    result = out;
done:
    PyBuffer_Release(&view);
    return result;
}

/* --- the two-thread reader's counts, for tests ---------------------------------------- */

static PyObject *split_counts(PyObject *module, PyObject *unused) {
    (void)module;
    (void)unused;
    return Py_BuildValue("(kkk)", atomic_load(&split_started), atomic_load(&split_reached),
                         atomic_load(&split_taken));
}

/* --- the module ----------------------------------------------------------------------- */

static PyMethodDef methods[] = {
    {"read_predict", (PyCFunction)(void (*)(void))read_predict, METH_VARARGS | METH_KEYWORDS,
     "read_predict(body, *, split_bytes=-1, search_first=False) -> (keys, signature_name, "
     "instances, plain, columns) or None.\n\n"
     "A predict body's tensors read as rapidjson 1.1.0 reads them; None when the body is not "
     "one this reader handles (the exact path reads it). Each column is (name, dims, values, "
     "is_double, low, high): values a memoryview of int64/uint64 (high past int64's range) "
     "or float64 numbers. A tensor's array of split_bytes of text or more (-1: 1 MiB) is read "
     "by two threads at once; search_first (tests) makes that happen every time it can."},
    {"join_numbers", (PyCFunction)(void (*)(void))join_numbers_py, METH_VARARGS | METH_KEYWORDS,
     "join_numbers(values, kind, itemsize, shape, separators, head, tail, exact_printf=False)"
     " -> str\n\nThe values (C order) as TF Serving's JSON tokens: separators[k] where k inner "
     "arrays close (separators[0] inside one), head before, tail after."},
    {"split_counts", split_counts, METH_NOARGS,
     "split_counts() -> (started, reached, taken)\n\nHow many second threads read_predict "
     "started, how many times the first thread reached where one started, and how many of "
     "their halves it took."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "explorer.codec._speedups",
    .m_doc = "TF Serving's REST JSON numbers, in and out, in C (see explorer/codec/speedups.py).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__speedups(void) {
    powers_init();
    if (!write_decimal_init()) {
        PyErr_SetString(PyExc_OSError, "no C locale");
        return NULL;
    }
    if (PyType_Ready(&BufferType) < 0)
        return NULL;
    return PyModule_Create(&module_def);
}
