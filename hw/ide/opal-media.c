/*
 * ide-opal-hd: the media gate
 *
 * What the Locking SP decides is enforced here, on two levels:
 *
 * - Each ATA command that touches LBAs asks ide_opal_media_access() first,
 *   for all its sectors at once (IDEDeviceClass.media_access, called by PIO,
 *   DMA, NCQ, TRIM and VERIFY): a command touching a locked range, or writing
 *   to the shadowed MBR, is aborted before any data moves.
 *
 * - Every byte the drive reads or writes passes a block filter node that the
 *   device puts between itself and its drive ("opal-media", below).  It shows
 *   the MBR table in the shadow area, encrypts and decrypts user data with the
 *   media key of the range it lies in (AES-256 in XTS mode, the LBA as tweak,
 *   IEEE 1619; a large request's crypto in the thread pool, overlapped with
 *   its I/O), and refuses locked ranges again, so that no path that might
 *   bypass the first check can reach the medium.
 *
 * Both work from an IDEOpalMedia: the engine's OpalMediaMap plus XTS ciphers
 * per range (a set per thread at work), rebuilt whenever the engine reports
 * OPAL_CHANGE_MEDIA and reference-counted, because a request in flight keeps
 * the view it started with.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/memalign.h"
#include "qemu/units.h"
#include "qobject/qdict.h"
#include "block/block_int.h"
#include "block/aio_task.h"
#include "block/thread-pool.h"
#include "crypto/cipher.h"
#include "system/block-backend.h"
#include "ide-internal.h"
#include "opal-hd.h"
#include "trace.h"

/*
 * One thread's ciphers for the ranges' keys, made on first use (a cipher
 * holds the tweak of its last call, so two threads cannot share one).  A
 * job takes a set for its run and gives it back: each key schedule is made
 * once per set, not once per request.
 */
typedef struct XtsHandles {
    struct XtsHandles *next;
    QCryptoCipher *h[];             /* by range number */
} XtsHandles;

struct IDEOpalMedia {
    unsigned refcnt;
    OpalMediaMap *map;
    QemuMutex lock;                 /* for @spare */
    XtsHandles *spare;              /* the sets no job holds */
    unsigned nr_ciphers;
    QCryptoCipher *ciphers[];       /* by range number; none with encrypt=off */
};

/* ---- the media view ------------------------------------------------------ */

/*
 * An AES-256-XTS cipher for @key, from QEMU's crypto backend; NULL for no
 * key.  A range whose key is still wrapped has none yet, and the map holds
 * zeros for it: XTS keys with equal halves, which crypto libraries in FIPS
 * mode refuse (and a random key never has).  Such a range is locked for
 * reads and writes in the map, so no I/O needs it.
 */
static QCryptoCipher *xts_open(const uint8_t *key)
{
    const size_t half = OPAL_MEDIA_KEY_LEN / 2;
    QCryptoCipher *cipher;
    Error *err = NULL;

    if (!memcmp(key, key + half, half)) {
        return NULL;
    }
    cipher = qcrypto_cipher_new(QCRYPTO_CIPHER_ALGO_AES_256,
                                QCRYPTO_CIPHER_MODE_XTS, key,
                                OPAL_MEDIA_KEY_LEN, &err);
    if (!cipher) {
        /* The range's I/O fails, as for a locked range. */
        warn_report_err(err);
    }
    return cipher;
}

IDEOpalMedia *ide_opal_media_new(IDEOpalDrive *d)
{
    OpalMediaMap *map = opal_media_map_new(d->tper);
    unsigned n = d->encrypt ? opal_media_nr_keys(map) : 0;
    IDEOpalMedia *m = g_malloc0(sizeof(*m) + n * sizeof(m->ciphers[0]));

    m->refcnt = 1;
    m->map = map;
    qemu_mutex_init(&m->lock);
    m->nr_ciphers = n;
    for (unsigned i = 0; i < n; i++) {
        m->ciphers[i] = xts_open(opal_media_key(map, i));
    }
    return m;
}

static IDEOpalMedia *media_ref(IDEOpalMedia *m)
{
    m->refcnt++;
    return m;
}

void ide_opal_media_unref(IDEOpalMedia *m)
{
    if (m && --m->refcnt == 0) {
        while (m->spare) {
            XtsHandles *set = m->spare;

            m->spare = set->next;
            for (unsigned i = 0; i < m->nr_ciphers; i++) {
                qcrypto_cipher_free(set->h[i]);
            }
            g_free(set);
        }
        qemu_mutex_destroy(&m->lock);
        for (unsigned i = 0; i < m->nr_ciphers; i++) {
            qcrypto_cipher_free(m->ciphers[i]);
        }
        opal_media_map_free(m->map);
        g_free(m);
    }
}

/* Commands and I/O that begin from now on see @m (I/O under way: its own). */
void ide_opal_media_publish(IDEOpalDrive *d, IDEOpalMedia *m)
{
    ide_opal_media_unref(d->media);
    d->media = m;
    trace_ide_opal_media_update(d, opal_media_shadow_blocks(m->map));
}

/* ---- the command-level check --------------------------------------------- */

/*
 * The NCQ Command Error log (ACS-3, A.13) names the queued command that
 * failed, so that the host knows which one without resetting anything.
 */
static void record_ncq_error(IDEOpalDrive *d, int tag, uint64_t lba,
                             uint64_t count)
{
    d->ncq_error = (IDEOpalNcqError) {
        .pending = true,
        .tag = tag,
        .lba = lba,
        .count = count,
    };
}

bool ide_opal_media_access(IDEDevice *dev, uint64_t sector, uint64_t nb_sectors,
                           bool write, int ncq_tag)
{
    IDEOpalDrive *d = IDE_OPAL_HD(dev);
    OpalMediaVerdict verdict = opal_media_check(d->media->map, sector,
                                                nb_sectors, write);

    if (verdict == OPAL_MEDIA_OK) {
        return true;
    }
    trace_ide_opal_media_refused(d, write ? "write" : "read", sector,
                                 nb_sectors, ncq_tag,
                                 opal_media_verdict_name(verdict));
    if (ncq_tag >= 0) {
        record_ncq_error(d, ncq_tag, sector, nb_sectors);
    }
    return false;
}

/* ---- the block filter ---------------------------------------------------- */

typedef struct BDRVOpalMedia {
    IDEOpalDrive *drive;
    uint64_t reserved;          /* the state region at the image's end */
    unsigned in_flight;         /* large ciphered requests under way */
} BDRVOpalMedia;

/*
 * The handles a job uses: a set from the view's spare ones (or a new one),
 * given back when the job is done.  The view's own handles tell which
 * ranges have a key at all.
 */
typedef struct XtsKeys {
    IDEOpalMedia *m;
    XtsHandles *set;
} XtsKeys;

static void xts_keys_take(XtsKeys *k, IDEOpalMedia *m)
{
    k->m = m;
    qemu_mutex_lock(&m->lock);
    k->set = m->spare;
    if (k->set) {
        m->spare = k->set->next;
    }
    qemu_mutex_unlock(&m->lock);
    if (!k->set) {
        k->set = g_malloc0(sizeof(*k->set) +
                           m->nr_ciphers * sizeof(k->set->h[0]));
    }
}

static void xts_keys_give_back(XtsKeys *k)
{
    qemu_mutex_lock(&k->m->lock);
    k->set->next = k->m->spare;
    k->m->spare = k->set;
    qemu_mutex_unlock(&k->m->lock);
}

static QCryptoCipher *xts_cipher(XtsKeys *k, unsigned range)
{
    if (!k->set->h[range] && k->m->ciphers[range]) {
        k->set->h[range] = xts_open(opal_media_key(k->m->map, range));
    }
    return k->set->h[range];
}

/*
 * Encrypts (or decrypts) @len bytes at @in, which hold sectors from @lba on,
 * into @out (which may be @in).
 */
static void xts_buf(XtsKeys *k, uint8_t *out, const uint8_t *in, size_t len,
                    uint64_t lba, bool encrypt)
{
    while (len) {
        const OpalMediaExtent *e = opal_media_lookup(k->m->map, lba);
        QCryptoCipher *c = xts_cipher(k, e->range);
        uint64_t run = MIN(len / BDRV_SECTOR_SIZE, e->end - lba);

        if (!c) {
            /* No key, so the range is locked: no I/O gets here (xts_open). */
            memset(out, 0, run * BDRV_SECTOR_SIZE);
            out += run * BDRV_SECTOR_SIZE;
            in += run * BDRV_SECTOR_SIZE;
            lba += run;
            len -= run * BDRV_SECTOR_SIZE;
            continue;
        }

        for (uint64_t i = 0; i < run; i++, lba++) {
            uint64_t tweak[2] = { cpu_to_le64(lba), 0 };

            /* Neither fails with whole blocks and a 16-byte tweak. */
            qcrypto_cipher_setiv(c, (const uint8_t *)tweak, sizeof(tweak),
                                 &error_abort);
            if (encrypt) {
                qcrypto_cipher_encrypt(c, in, out, BDRV_SECTOR_SIZE,
                                       &error_abort);
            } else {
                qcrypto_cipher_decrypt(c, in, out, BDRV_SECTOR_SIZE,
                                       &error_abort);
            }
            out += BDRV_SECTOR_SIZE;
            in += BDRV_SECTOR_SIZE;
        }
        len -= run * BDRV_SECTOR_SIZE;
    }
}

/*
 * The pieces of @bytes of @qiov from @offset on, one element at a time: sets
 * *@base and *@len to the next and returns true, or false at the end.
 */
static bool qiov_next(QEMUIOVector *qiov, int *i, size_t *offset, size_t *bytes,
                      uint8_t **base, size_t *len)
{
    for (; *i < qiov->niov && *bytes; (*i)++) {
        if (*offset >= qiov->iov[*i].iov_len) {
            *offset -= qiov->iov[*i].iov_len;
            continue;
        }
        *base = (uint8_t *)qiov->iov[*i].iov_base + *offset;
        *len = MIN(qiov->iov[*i].iov_len - *offset, *bytes);
        *bytes -= *len;
        *offset = 0;
        (*i)++;
        return true;
    }
    return false;
}

/* Whether every element of the part of @qiov holds whole sectors. */
static bool qiov_sector_aligned(QEMUIOVector *qiov, size_t offset, size_t bytes)
{
    uint8_t *base;
    size_t len;
    int i = 0;

    while (qiov_next(qiov, &i, &offset, &bytes, &base, &len)) {
        if (len % BDRV_SECTOR_SIZE) {
            return false;
        }
    }
    return true;
}

/*
 * The crypto of one request or of one chunk of it, sectors from @lba on:
 * - write (@encrypt): the plaintext in @bytes of @qiov from @qiov_offset on
 *   becomes ciphertext in @buf, in one pass when the guest's buffers hold
 *   whole sectors (the guest's buffer stays as it is);
 * - read: the ciphertext in @buf, or in the part of @qiov itself if @buf is
 *   NULL, becomes plaintext in @qiov.
 */
typedef struct XtsJob {
    IDEOpalMedia *m;
    QEMUIOVector *qiov;
    size_t qiov_offset;
    uint8_t *buf;
    size_t bytes;
    uint64_t lba;
    bool encrypt;
} XtsJob;

static int xts_job_run(void *opaque)
{
    XtsJob *j = opaque;
    XtsKeys k;
    size_t offset = j->qiov_offset, bytes = j->bytes;
    uint64_t lba = j->lba;
    uint8_t *base;
    size_t len;
    int i = 0;

    xts_keys_take(&k, j->m);
    if (j->encrypt && qiov_sector_aligned(j->qiov, offset, bytes)) {
        uint8_t *out = j->buf;

        while (qiov_next(j->qiov, &i, &offset, &bytes, &base, &len)) {
            xts_buf(&k, out, base, len, lba, true);
            out += len;
            lba += len / BDRV_SECTOR_SIZE;
        }
    } else if (j->encrypt) {
        qemu_iovec_to_buf(j->qiov, offset, j->buf, bytes);
        xts_buf(&k, j->buf, j->buf, bytes, lba, true);
    } else if (j->buf) {
        xts_buf(&k, j->buf, j->buf, bytes, lba, false);
        qemu_iovec_from_buf(j->qiov, offset, j->buf, bytes);
    } else {
        while (qiov_next(j->qiov, &i, &offset, &bytes, &base, &len)) {
            xts_buf(&k, base, base, len, lba, false);
            lba += len / BDRV_SECTOR_SIZE;
        }
    }
    xts_keys_give_back(&k);
    return 0;
}

/*
 * A request of at least XTS_SPLIT_MIN has its crypto done in the thread
 * pool, on every core, not in the main loop.  If it is the only one under
 * way (queue depth 1), it goes in up to XTS_CHUNKS chunks of at least
 * XTS_CHUNK_MIN, each read and then decrypted, or encrypted and then
 * written, on its own and all at once: while one chunk's data is copied,
 * another's is ciphered.  With several requests under way the requests
 * themselves overlap, and chunks would only add hand-overs.  AES-XTS runs at
 * about 5 GB/s per core: a 1 MiB request costs some 200 us of crypto, a
 * hand-over to a worker some 10 us.  A smaller request (4 KiB random I/O) is
 * ciphered where it is, with no hand-over.
 */
#define XTS_SPLIT_MIN   (128 * KiB)
#define XTS_CHUNKS      4
#define XTS_CHUNK_MIN   (64 * KiB)

typedef struct XtsChunk {
    AioTask task;
    BdrvChild *file;
    int64_t offset;
    BdrvRequestFlags flags;
    bool in_place;              /* cipher in this coroutine, no hand-over */
    XtsJob job;
} XtsChunk;

static void coroutine_fn xts_chunk_cipher(XtsChunk *c)
{
    if (c->in_place) {
        xts_job_run(&c->job);
    } else {
        thread_pool_submit_co(xts_job_run, &c->job);
    }
}

static int coroutine_fn GRAPH_RDLOCK xts_chunk_run(XtsChunk *c)
{
    XtsJob *j = &c->job;
    QEMUIOVector local;
    int ret;

    if (j->encrypt) {
        xts_chunk_cipher(c);
        qemu_iovec_init_buf(&local, j->buf, j->bytes);
        return bdrv_co_pwritev(c->file, c->offset, j->bytes, &local, c->flags);
    }
    if (j->buf) {
        qemu_iovec_init_buf(&local, j->buf, j->bytes);
        ret = bdrv_co_preadv(c->file, c->offset, j->bytes, &local, c->flags);
    } else {
        ret = bdrv_co_preadv_part(c->file, c->offset, j->bytes, j->qiov,
                                  j->qiov_offset, c->flags);
    }
    if (ret >= 0) {
        xts_chunk_cipher(c);
    }
    return ret;
}

static int coroutine_fn GRAPH_RDLOCK xts_chunk_entry(AioTask *task)
{
    return xts_chunk_run(container_of(task, XtsChunk, task));
}

/*
 * Reads (@encrypt false) or writes @bytes at @offset of @file, sectors from
 * @lba on, ciphered: the data is @qiov from @qiov_offset on; @buf, if not
 * NULL, is a bounce buffer of @bytes that the medium's side of the I/O uses.
 */
static int coroutine_fn GRAPH_RDLOCK
xts_io(BDRVOpalMedia *s, BdrvChild *file, IDEOpalMedia *m, int64_t offset,
       size_t bytes, QEMUIOVector *qiov, size_t qiov_offset, uint8_t *buf,
       uint64_t lba, BdrvRequestFlags flags, bool encrypt)
{
    XtsChunk one = {
        .file = file, .offset = offset, .flags = flags,
        .job = {
            .m = m, .qiov = qiov, .qiov_offset = qiov_offset, .buf = buf,
            .bytes = bytes, .lba = lba, .encrypt = encrypt,
        },
    };
    AioTaskPool *pool;
    size_t chunk;
    int ret;

    if (bytes < XTS_SPLIT_MIN) {
        one.in_place = true;
        return xts_chunk_run(&one);
    }

    if (s->in_flight) {
        chunk = bytes;
    } else {
        chunk = MAX(QEMU_ALIGN_UP(DIV_ROUND_UP(bytes, XTS_CHUNKS), 4 * KiB),
                    XTS_CHUNK_MIN);
    }
    s->in_flight++;
    pool = aio_task_pool_new(XTS_CHUNKS);
    for (size_t done = 0; done < bytes && aio_task_pool_status(pool) == 0;
         done += chunk) {
        XtsChunk *c = g_new(XtsChunk, 1);

        *c = one;
        c->task.func = xts_chunk_entry;
        c->offset = offset + done;
        c->job.qiov_offset = qiov_offset + done;
        c->job.buf = buf ? buf + done : NULL;
        c->job.bytes = MIN(chunk, bytes - done);
        c->job.lba = lba + done / BDRV_SECTOR_SIZE;
        aio_task_pool_start_task(pool, &c->task);
    }
    aio_task_pool_wait_all(pool);
    s->in_flight--;
    ret = aio_task_pool_status(pool);
    aio_task_pool_free(pool);
    return ret;
}

/* Reads of the shadow area show the MBR table (Opal SSC 2.02, 4.3.5.3). */
static void coroutine_fn read_shadow(IDEOpalDrive *d, uint64_t offset,
                                     uint64_t bytes, QEMUIOVector *qiov,
                                     size_t qiov_offset)
{
    g_autofree uint8_t *chunk = g_malloc(MIN(bytes, 64 * KiB));

    /* The MBR table is the TPer's: a TRUSTED SEND may be writing it. */
    ide_opal_engine_co_quiesce(d);

    while (bytes) {
        size_t n = MIN(bytes, 64 * KiB);

        opal_tper_mbr_read(d->tper, offset, chunk, n);
        qemu_iovec_from_buf(qiov, qiov_offset, chunk, n);
        offset += n;
        qiov_offset += n;
        bytes -= n;
    }
}

static int refuse(IDEOpalDrive *d, const char *what, int64_t offset,
                  int64_t bytes, OpalMediaVerdict verdict)
{
    trace_ide_opal_media_filter_refused(d, what, offset, bytes,
                                        opal_media_verdict_name(verdict));
    return -EACCES;
}

static int coroutine_fn GRAPH_RDLOCK
opal_media_co_preadv_part(BlockDriverState *bs, int64_t offset, int64_t bytes,
                          QEMUIOVector *qiov, size_t qiov_offset,
                          BdrvRequestFlags flags)
{
    IDEOpalDrive *d = ((BDRVOpalMedia *)bs->opaque)->drive;
    g_autoptr(IDEOpalMedia) m = NULL;
    uint64_t lba = offset / BDRV_SECTOR_SIZE;
    uint64_t shadow;
    OpalMediaVerdict verdict;
    uint8_t *buf;
    int ret;

    if (!d->media) {
        /*
         * Realize reads sector 0 to guess a CHS geometry before the drive has
         * powered on: it has nothing to show yet (its keys are not loaded).
         */
        qemu_iovec_memset(qiov, qiov_offset, 0, bytes);
        return 0;
    }
    m = media_ref(d->media);
    shadow = opal_media_shadow_blocks(m->map) * BDRV_SECTOR_SIZE;
    verdict = opal_media_check(m->map, lba, bytes / BDRV_SECTOR_SIZE, false);

    if (verdict != OPAL_MEDIA_OK) {
        return refuse(d, "read", offset, bytes, verdict);
    }
    if (offset < shadow) {
        uint64_t n = MIN(bytes, shadow - offset);

        read_shadow(d, offset, n, qiov, qiov_offset);
        offset += n;
        qiov_offset += n;
        bytes -= n;
        lba += n / BDRV_SECTOR_SIZE;
    }
    if (!bytes) {
        return 0;
    }
    if (!m->nr_ciphers) {
        return bdrv_co_preadv_part(bs->file, offset, bytes, qiov, qiov_offset,
                                   flags);
    }
    if (qiov_sector_aligned(qiov, qiov_offset, bytes)) {
        /* The usual case: decrypt where the data landed, no copy. */
        return xts_io(bs->opaque, bs->file, m, offset, bytes, qiov,
                      qiov_offset, NULL, lba, flags, false);
    }
    /* Sectors split across buffers: decrypt in a bounce buffer. */
    buf = qemu_try_blockalign(bs->file->bs, bytes);
    if (!buf) {
        return -ENOMEM;
    }
    ret = xts_io(bs->opaque, bs->file, m, offset, bytes, qiov, qiov_offset,
                 buf, lba, flags, false);
    qemu_vfree(buf);
    return ret;
}

static int coroutine_fn GRAPH_RDLOCK
opal_media_co_pwritev_part(BlockDriverState *bs, int64_t offset, int64_t bytes,
                           QEMUIOVector *qiov, size_t qiov_offset,
                           BdrvRequestFlags flags)
{
    IDEOpalDrive *d = ((BDRVOpalMedia *)bs->opaque)->drive;
    g_autoptr(IDEOpalMedia) m = NULL;
    uint64_t lba = offset / BDRV_SECTOR_SIZE;
    OpalMediaVerdict verdict;
    uint8_t *buf;
    int ret;

    if (!d->media) {
        /* Before the drive has powered on it has no keys to write with. */
        return -EACCES;
    }
    m = media_ref(d->media);
    verdict = opal_media_check(m->map, lba, bytes / BDRV_SECTOR_SIZE, true);
    if (verdict != OPAL_MEDIA_OK) {
        return refuse(d, "write", offset, bytes, verdict);
    }
    if (!m->nr_ciphers) {
        return bdrv_co_pwritev_part(bs->file, offset, bytes, qiov, qiov_offset,
                                    flags);
    }
    /*
     * The guest's buffer stays as it is: the ciphertext goes to a bounce
     * buffer, encrypted out of place.
     */
    buf = qemu_try_blockalign(bs->file->bs, bytes);
    if (!buf) {
        return -ENOMEM;
    }
    ret = xts_io(bs->opaque, bs->file, m, offset, bytes, qiov, qiov_offset,
                 buf, lba, flags, true);
    qemu_vfree(buf);
    return ret;
}

static int coroutine_fn GRAPH_RDLOCK
opal_media_co_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes)
{
    IDEOpalDrive *d = ((BDRVOpalMedia *)bs->opaque)->drive;
    OpalMediaVerdict verdict;

    if (!d->media) {
        return -EACCES;
    }
    verdict = opal_media_check(d->media->map, offset / BDRV_SECTOR_SIZE,
                               bytes / BDRV_SECTOR_SIZE, true);
    if (verdict != OPAL_MEDIA_OK) {
        return refuse(d, "discard", offset, bytes, verdict);
    }
    return bdrv_co_pdiscard(bs->file, offset, bytes);
}

static int64_t coroutine_fn GRAPH_RDLOCK
opal_media_co_getlength(BlockDriverState *bs)
{
    int64_t len = bdrv_co_getlength(bs->file->bs);

    return len < 0 ? len : len - ((BDRVOpalMedia *)bs->opaque)->reserved;
}

static void opal_media_refresh_limits(BlockDriverState *bs, Error **errp)
{
    /*
     * XTS works on whole sectors: the block layer does any read-modify-write.
     */
    bs->bl.request_alignment = BDRV_SECTOR_SIZE;
}

/*
 * The node's options name its drive (a QOM path) and the bytes it hides:
 * they stay in the options, since the block layer opens the node again
 * from them alone (loadvm re-opens a filter above the node it reverts).
 */
static int opal_media_open(BlockDriverState *bs, QDict *options, int flags,
                           Error **errp)
{
    BDRVOpalMedia *s = bs->opaque;
    const char *drive = qdict_get_try_str(options, "drive");

    s->drive = drive ? (IDEOpalDrive *)object_resolve_path_type(
                           drive, TYPE_IDE_OPAL_HD, NULL) : NULL;
    if (!s->drive) {
        error_setg(errp, "opal-media: no ide-opal-hd at '%s'",
                   drive ? drive : "");
        return -EINVAL;
    }
    /*
     * Known before the node's length is first asked for, at the end of opening.
     */
    s->reserved = qdict_get_try_int(options, "reserved", 0);
    /*
     * Data only: the node keeps no metadata in its child, so the permissions
     * it takes there are its parent's, passed through - the device's, as
     * before the node came between them.
     */
    if (!bdrv_open_child(NULL, options, "file", bs, &child_of_bds,
                         BDRV_CHILD_DATA | BDRV_CHILD_PRIMARY, false, errp)) {
        return -EINVAL;
    }
    bdrv_graph_rdlock_main_loop();
    bs->supported_write_flags = BDRV_REQ_WRITE_UNCHANGED |
                                (BDRV_REQ_FUA &
                                 bs->file->bs->supported_write_flags);
    bdrv_graph_rdunlock_main_loop();
    return 0;
}

/*
 * Not registered: only the device creates it (a user could not give it its
 * drive), so it is not among the drivers -blockdev accepts.
 */
static BlockDriver bdrv_opal_media = {
    .format_name = "opal-media",
    .instance_size = sizeof(BDRVOpalMedia),
    .bdrv_open = opal_media_open,
    .bdrv_child_perm = bdrv_default_perms,
    .bdrv_refresh_limits = opal_media_refresh_limits,
    .bdrv_co_getlength = opal_media_co_getlength,
    .bdrv_co_preadv_part = opal_media_co_preadv_part,
    .bdrv_co_pwritev_part = opal_media_co_pwritev_part,
    .bdrv_co_pdiscard = opal_media_co_pdiscard,
};

bool ide_opal_media_attach(IDEOpalDrive *d, uint64_t reserved, Error **errp)
{
    BlockBackend *blk = d->parent_obj.dev.conf.blk;
    BlockDriverState *bs = blk ? blk_bs(blk) : NULL;
    BlockDriverState *filter;
    g_autofree char *path = object_get_canonical_path(OBJECT(d));
    QDict *options;
    int flags;
    int ret;

    if (!bs) {
        error_setg(errp, "ide-opal-hd needs a drive with a medium");
        return false;
    }
    options = qdict_new();
    qdict_put_str(options, "file", bdrv_get_node_name(bs));
    qdict_put_int(options, "reserved", reserved);
    qdict_put_str(options, "drive", path);
    /*
     * As the drive was opened: writable or not, discarding (discard=unmap) or
     * not, and inactive on an incoming migration's side until it completes.
     */
    flags = bdrv_get_flags(bs) & (BDRV_O_RDWR | BDRV_O_UNMAP |
                                  BDRV_O_INACTIVE);
    filter = bdrv_new_open_driver_opts(&bdrv_opal_media, NULL, options, flags,
                                       errp);
    if (!filter) {
        return false;
    }
    ret = blk_replace_bs(blk, filter, errp);
    bdrv_unref(filter);
    return ret == 0;
}
