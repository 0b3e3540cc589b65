// Sequential byte source over a file or a memory buffer, transparently inflating gzip (zlib).
// Plain FITS is read as is. Truncated or corrupt gzip data raises ef::FormatError naming the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "fits_error.hpp"

namespace ef {

class ByteStream {
  public:
    // Reads a file from disk; an empty file is an error (nothing to parse).
    static std::unique_ptr<ByteStream> open_file(const std::string& path);
    // Reads `n` bytes owned by the caller (kept alive for the stream's lifetime); `name` is for messages.
    static std::unique_ptr<ByteStream> from_memory(const uint8_t* data, size_t n, std::string name);

    ~ByteStream();
    ByteStream(const ByteStream&) = delete;
    ByteStream& operator=(const ByteStream&) = delete;

    // Fills dst with up to n bytes; returns fewer only at the end of the (decompressed) data.
    size_t read(uint8_t* dst, size_t n);
    // Reads and drops up to n bytes; returns how many were dropped.
    uint64_t skip(uint64_t n);
    // Reads to the end so a gzip stream's CRC and length trailer are checked.
    void drain();

    bool is_gzip() const { return gzip_; }
    const std::string& name() const { return name_; }
    // Size of a plain (uncompressed) input in bytes, or -1 when unknown (gzip).
    int64_t plain_size() const { return gzip_ ? -1 : raw_size_; }

  private:
    ByteStream() = default;
    void init_gzip();
    size_t raw_read(uint8_t* dst, size_t n);  // compressed / plain bytes from the file or memory
    bool refill();                             // more compressed input; false at end of input
    size_t inflate_into(uint8_t* dst, size_t n);

    std::string name_;
    std::FILE* file_ = nullptr;
    const uint8_t* mem_ = nullptr;
    size_t mem_size_ = 0, mem_pos_ = 0;
    int64_t raw_size_ = -1;
    bool gzip_ = false;
    bool ended_ = false;  // gzip: last member finished and no more input
    bool zinit_ = false;
    void* z_ = nullptr;   // z_stream*, kept opaque so zlib.h stays out of this header
    std::vector<uint8_t> inbuf_;
    // bytes already pulled from the raw input while sniffing the magic number (plain input)
    std::vector<uint8_t> pending_;
    size_t pending_pos_ = 0;
};

}  // namespace ef
