#include "gzip_stream.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

namespace ef {

namespace {
constexpr size_t kInBuf = 64 * 1024;  // below malloc's mmap threshold: cheap per file
z_stream* zs(void* p) { return static_cast<z_stream*>(p); }
}  // namespace

std::unique_ptr<ByteStream> ByteStream::open_file(const std::string& path) {
    std::unique_ptr<ByteStream> s(new ByteStream());
    s->name_ = path;
    s->file_ = std::fopen(path.c_str(), "rb");
    if (!s->file_) throw IoError(path + ": cannot open (" + std::strerror(errno) + ")");
    if (std::fseek(s->file_, 0, SEEK_END) == 0) {
        long end = std::ftell(s->file_);
        if (end >= 0) s->raw_size_ = end;
        std::fseek(s->file_, 0, SEEK_SET);
    }
    s->init_gzip();
    return s;
}

std::unique_ptr<ByteStream> ByteStream::from_memory(const uint8_t* data, size_t n, std::string name) {
    std::unique_ptr<ByteStream> s(new ByteStream());
    s->name_ = std::move(name);
    s->mem_ = data;
    s->mem_size_ = n;
    s->raw_size_ = static_cast<int64_t>(n);
    s->init_gzip();
    return s;
}

ByteStream::~ByteStream() {
    if (zinit_) inflateEnd(zs(z_));
    delete zs(z_);
    if (file_) std::fclose(file_);
}

size_t ByteStream::raw_read(uint8_t* dst, size_t n) {
    size_t got = 0;
    if (pending_pos_ < pending_.size()) {
        got = std::min(n, pending_.size() - pending_pos_);
        std::memcpy(dst, pending_.data() + pending_pos_, got);
        pending_pos_ += got;
    }
    if (got == n) return got;
    if (file_) {
        size_t r = std::fread(dst + got, 1, n - got, file_);
        if (r < n - got && std::ferror(file_)) throw IoError(name_ + ": read error (" + std::strerror(errno) + ")");
        return got + r;
    }
    size_t r = std::min(n - got, mem_size_ - mem_pos_);
    if (r) std::memcpy(dst + got, mem_ + mem_pos_, r);
    mem_pos_ += r;
    return got + r;
}

void ByteStream::init_gzip() {
    uint8_t magic[2] = {0, 0};
    size_t n = raw_read(magic, 2);
    if (n == 0) throw FormatError(name_ + ": file is empty (0 bytes)");
    pending_.assign(magic, magic + n);
    pending_pos_ = 0;
    gzip_ = (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b);
    if (!gzip_) return;
    z_ = new z_stream();
    std::memset(z_, 0, sizeof(z_stream));
    if (inflateInit2(zs(z_), 15 + 16) != Z_OK) throw std::bad_alloc();
    zinit_ = true;
    inbuf_.resize(kInBuf);
}

bool ByteStream::refill() {
    size_t n = raw_read(inbuf_.data(), inbuf_.size());
    zs(z_)->next_in = inbuf_.data();
    zs(z_)->avail_in = static_cast<uInt>(n);
    return n > 0;
}

size_t ByteStream::inflate_into(uint8_t* dst, size_t n) {
    z_stream* z = zs(z_);
    size_t done = 0;
    while (done < n && !ended_) {
        // avail_out is 32-bit in zlib: feed large requests in slices
        size_t want = std::min<size_t>(n - done, 1u << 30);
        z->next_out = dst + done;
        z->avail_out = static_cast<uInt>(want);
        while (z->avail_out > 0) {
            if (z->avail_in == 0 && !refill())
                throw FormatError(name_ + ": truncated gzip data (the compressed stream ends before its end marker)");
            int rc = inflate(z, Z_NO_FLUSH);
            if (rc == Z_STREAM_END) {
                // A gzip file may hold several members back to back (as `gzip -dc` accepts).
                if (z->avail_in == 0 && !refill()) { ended_ = true; break; }
                if (z->next_in[0] != 0x1f) { ended_ = true; break; }  // trailing garbage: ignored, as gzip does
                inflateReset(z);
                continue;
            }
            if (rc == Z_MEM_ERROR) throw std::bad_alloc();
            if (rc == Z_BUF_ERROR && z->avail_in == 0) continue;  // needs input: refill or report truncation
            if (rc != Z_OK)
                throw FormatError(name_ + ": corrupt gzip data (" + (z->msg ? z->msg : "inflate error") + ")");
        }
        done += want - z->avail_out;
    }
    return done;
}

size_t ByteStream::read(uint8_t* dst, size_t n) {
    if (n == 0) return 0;
    if (gzip_) return inflate_into(dst, n);
    return raw_read(dst, n);
}

uint64_t ByteStream::skip(uint64_t n) {
    uint8_t scratch[64 * 1024];
    uint64_t done = 0;
    while (done < n) {
        size_t want = static_cast<size_t>(std::min<uint64_t>(n - done, sizeof scratch));
        size_t got = read(scratch, want);
        done += got;
        if (got < want) break;
    }
    return done;
}

void ByteStream::drain() {
    if (gzip_) skip(UINT64_MAX);
}

}  // namespace ef
