// The optional native kernels: OpenBLAS's sgemm on the WASM backend's memory, through Node-API.
// The memory is a SharedArrayBuffer that never moves (its maximum is reserved up front), so its
// base address is taken once (attach) and each call passes byte offsets into it.
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <cblas.h>

// Declared by OpenBLAS (openblas_config.h / cblas.h in Debian's builds).
extern void openblas_set_num_threads(int);
extern int openblas_get_num_threads(void);
extern char* openblas_get_config(void);

static uint8_t* base = NULL;
static size_t baseLength = 0;

static napi_value fail(napi_env env, const char* msg) {
  napi_throw_error(env, NULL, msg);
  return NULL;
}

// attach(view: Float32Array at offset 0 of the memory's buffer, length = whole buffer)
static napi_value attach(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool isTyped = false;
  if (argc < 1 || napi_is_typedarray(env, argv[0], &isTyped) != napi_ok || !isTyped) return fail(env, "attach: expected a Float32Array");
  napi_typedarray_type type;
  size_t length;
  void* data;
  size_t offset;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, &offset) != napi_ok || data == NULL) {
    return fail(env, "attach: cannot read the typed array's storage");
  }
  if (type != napi_float32_array || offset != 0) return fail(env, "attach: expected a Float32Array at offset 0");
  base = (uint8_t*)data;
  baseLength = length * 4;
  return NULL;
}

static int64_t argInt(napi_env env, napi_value v) {
  int64_t x = 0;
  napi_get_value_int64(env, v, &x);
  return x;
}

// sgemm(aOff, bOff, outOff, m, n, k, transA, transB, limit): out[m,n] = op(A)·op(B), row-major.
// `limit` is the memory's current byte length (the caller's bound check covers the operands).
static napi_value sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 9) return fail(env, "sgemm: expected 9 arguments");
  if (base == NULL) return fail(env, "sgemm: attach() the memory first");
  int64_t a = argInt(env, argv[0]), b = argInt(env, argv[1]), c = argInt(env, argv[2]);
  int64_t m = argInt(env, argv[3]), n = argInt(env, argv[4]), k = argInt(env, argv[5]);
  bool ta = argInt(env, argv[6]) != 0, tb = argInt(env, argv[7]) != 0;
  int64_t limit = argInt(env, argv[8]);
  if (m <= 0 || n <= 0) return NULL;
  if (a < 0 || b < 0 || c < 0 || c + m * n * 4 > limit || a + m * k * 4 > limit || b + k * n * 4 > limit) {
    return fail(env, "sgemm: operands outside the memory");
  }
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, 1.0f,
              (const float*)(base + a), ta ? (int)m : (int)k, (const float*)(base + b), tb ? (int)k : (int)n, 0.0f,
              (float*)(base + c), (int)n);
  return NULL;
}

static napi_value setThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) return fail(env, "setThreads: expected a count");
  openblas_set_num_threads((int)argInt(env, argv[0]));
  return NULL;
}

static napi_value config(napi_env env, napi_callback_info info) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s; threads %d", openblas_get_config(), openblas_get_num_threads());
  napi_value s;
  napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &s);
  return s;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"attach", NULL, attach, NULL, NULL, NULL, napi_default, NULL},
    {"sgemm", NULL, sgemm, NULL, NULL, NULL, napi_default, NULL},
    {"setThreads", NULL, setThreads, NULL, NULL, NULL, napi_default, NULL},
    {"config", NULL, config, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
