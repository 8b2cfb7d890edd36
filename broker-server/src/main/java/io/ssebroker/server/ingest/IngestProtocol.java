package io.ssebroker.server.ingest;

/**
 * Constants of ingest protocol version 1 (docs/ingest-protocol.md): frame types, error codes and
 * field limits.
 */
final class IngestProtocol
{
    static final int MAGIC = 0x53534542;
    static final int VERSION = 1;

    static final int LENGTH_FIELD_BYTES = 4;

    static final byte HELLO = 0x01;
    static final byte WELCOME = 0x02;
    static final byte PUBLISH = 0x10;
    static final byte ACK = 0x11;
    static final byte PING = 0x20;
    static final byte PONG = 0x21;
    static final byte ERROR = 0x7F;

    static final int BAD_FRAME = 1;
    static final int BAD_HANDSHAKE = 2;
    static final int UNSUPPORTED_VERSION = 3;
    static final int AUTH_FAILED = 4;
    static final int FRAME_TOO_LARGE = 5;
    static final int FRAME_TIMEOUT = 6;
    static final int INVALID_TOPIC = 16;
    static final int INVALID_EVENT = 17;
    static final int INVALID_UTF8 = 18;
    static final int DATA_TOO_LARGE = 19;
    static final int EMPTY_DATA = 20;
    static final int SHUTTING_DOWN = 32;

    /** ACK body: firstSeq u64, count u32, firstId u64. */
    static final int ACK_FRAME_BYTES = LENGTH_FIELD_BYTES + 1 + 8 + 4 + 8;

    private IngestProtocol()
    {
    }
}
