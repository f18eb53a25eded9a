// GPU timeline of a whole process through CUPTI's activity API: every kernel, copy and memset on the GPU, and
// every CUDA runtime/driver call on the host, written as text lines when the process exits. Loaded by the CUDA
// driver itself (CUDA_INJECTION64_PATH=libcupti_trace.so), so it needs no change to the traced program (a JVM
// running ONNX Runtime's CUDA provider, here). Output file: $CUPTI_TRACE_OUT (default cupti_trace.txt).
//
// Lines (times in ns on CUPTI's clock):
//   K start end stream correlation grid block name      a kernel
//   M start end stream correlation bytes kind           a copy (kind: 1 HtoD, 2 DtoH, 8 DtoD, ...)
//   S start end stream correlation bytes                a memset
//   R start end thread correlation name                 a runtime API call (host)
//   D start end thread correlation name                 a driver API call (host)
#include <cupti.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_SIZE (8 * 1024 * 1024)

static FILE *out;

#define CHECK(call)                                                                 \
    do {                                                                            \
        CUptiResult r = (call);                                                     \
        if (r != CUPTI_SUCCESS) {                                                   \
            const char *msg;                                                        \
            cuptiGetResultString(r, &msg);                                          \
            fprintf(stderr, "cupti_trace: %s failed: %s\n", #call, msg);            \
        }                                                                           \
    } while (0)

static void CUPTIAPI requested(uint8_t **buffer, size_t *size, size_t *max_records) {
    *buffer = aligned_alloc(8, BUF_SIZE);
    *size = BUF_SIZE;
    *max_records = 0;
}

static void api_line(char tag, CUpti_ActivityAPI *a, CUpti_CallbackDomain domain) {
    const char *name = "?";
    cuptiGetCallbackName(domain, a->cbid, &name);
    fprintf(out, "%c %llu %llu %u %u %s\n", tag, (unsigned long long)a->start, (unsigned long long)a->end,
            a->threadId, a->correlationId, name);
}

static void CUPTIAPI completed(CUcontext ctx, uint32_t stream, uint8_t *buffer, size_t size, size_t valid) {
    CUpti_Activity *record = NULL;
    while (cuptiActivityGetNextRecord(buffer, valid, &record) == CUPTI_SUCCESS) {
        switch (record->kind) {
            case CUPTI_ACTIVITY_KIND_KERNEL:
            case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL: {
                CUpti_ActivityKernel10 *k = (CUpti_ActivityKernel10 *)record;
                fprintf(out, "K %llu %llu %u %u %dx%dx%d %dx%dx%d %s\n", (unsigned long long)k->start,
                        (unsigned long long)k->end, k->streamId, k->correlationId, k->gridX, k->gridY, k->gridZ,
                        k->blockX, k->blockY, k->blockZ, k->name);
                break;
            }
            case CUPTI_ACTIVITY_KIND_MEMCPY: {
                CUpti_ActivityMemcpy6 *m = (CUpti_ActivityMemcpy6 *)record;
                fprintf(out, "M %llu %llu %u %u %llu %u\n", (unsigned long long)m->start,
                        (unsigned long long)m->end, m->streamId, m->correlationId, (unsigned long long)m->bytes,
                        m->copyKind);
                break;
            }
            case CUPTI_ACTIVITY_KIND_MEMSET: {
                CUpti_ActivityMemset4 *m = (CUpti_ActivityMemset4 *)record;
                fprintf(out, "S %llu %llu %u %u %llu\n", (unsigned long long)m->start, (unsigned long long)m->end,
                        m->streamId, m->correlationId, (unsigned long long)m->bytes);
                break;
            }
            case CUPTI_ACTIVITY_KIND_RUNTIME:
                api_line('R', (CUpti_ActivityAPI *)record, CUPTI_CB_DOMAIN_RUNTIME_API);
                break;
            case CUPTI_ACTIVITY_KIND_DRIVER:
                api_line('D', (CUpti_ActivityAPI *)record, CUPTI_CB_DOMAIN_DRIVER_API);
                break;
            default:
                break;
        }
    }
    size_t dropped = 0;
    cuptiActivityGetNumDroppedRecords(ctx, stream, &dropped);
    if (dropped) fprintf(stderr, "cupti_trace: %zu records dropped\n", dropped);
    free(buffer);
}

static void finish(void) {
    cuptiActivityFlushAll(1);
    if (out) fclose(out);
    out = NULL;
}

int InitializeInjection(void) {
    const char *path = getenv("CUPTI_TRACE_OUT");
    out = fopen(path ? path : "cupti_trace.txt", "w");
    if (!out) {
        perror("cupti_trace");
        return 0;
    }
    CHECK(cuptiActivityRegisterCallbacks(requested, completed));
    CHECK(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL));
    CHECK(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_MEMCPY));
    CHECK(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_MEMSET));
    CHECK(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_RUNTIME));
    if (getenv("CUPTI_TRACE_DRIVER")) CHECK(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_DRIVER));
    atexit(finish);
    fprintf(stderr, "cupti_trace: tracing to %s\n", path ? path : "cupti_trace.txt");
    return 1;
}
