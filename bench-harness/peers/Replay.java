// gclab's replayer for the JVM: performs a peer trace (bench-harness/src/peers/peer_trace.rs)
// with HotSpot's own objects, so that the chosen HotSpot collector does the work gclab's
// collectors do.
//
//   java -Xlog:gc,safepoint:file=LOG:timenanos -cp DIR Replay PEER_TRACE spin|skip
//
// An object of N slots and B raw bytes is an `Object[N + 1]`: the N references, then a `byte[B]`
// for B > 0, else null, so one trace object is one or two Java objects. External memory is a
// direct ByteBuffer in that last element, beside the bytes (`Owned`). `gc` and `gc minor` are both System.gc(): Java
// has no young-only request. The replay's start and end are printed in System.nanoTime(), the
// clock of -Xlog's `timenanos` decoration, so the log's pauses are placed on its timeline. The
// result goes to standard error as one line `gclab-peer: {json}`.
//
// The trace is read in chunks into a small direct buffer, so the replayer's own memory does not
// grow with the trace (and traces past 2 GB replay).
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

public final class Replay {
    /** The last element of an object that owns external memory. */
    record Owned(byte[] bytes, ByteBuffer external) {}

    static long loads;
    static long allocated;

    /** The trace, a chunk at a time. */
    static FileChannel file;
    static String path;

    public static void main(String[] args) throws IOException {
        path = args[0];
        boolean spin = args.length > 1 && args[1].equals("spin");
        file = FileChannel.open(Path.of(path), StandardOpenOption.READ);
        ByteBuffer in = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        while (file.read(in) > 0 && in.position() < 16) {
            // the header
        }
        in.flip();
        byte[] magic = new byte[8];
        if (in.remaining() < 16) {
            fail("not a peer trace");
        }
        in.get(magic);
        if (!new String(magic, java.nio.charset.StandardCharsets.ISO_8859_1).equals("GCLABPR1")) {
            fail("not a peer trace");
        }
        Object[][] table = new Object[in.getInt()][];
        in.getInt();
        long start = System.nanoTime();
        replay(in, table, spin);
        long end = System.nanoTime();
        System.gc();
        System.err.println("gclab-peer: {\"live_objects\":" + liveObjects(table)
                + ",\"start_nanos\":" + start + ",\"end_nanos\":" + end
                + ",\"allocated_bytes\":" + allocated
                + ",\"peak_rss_bytes\":" + peakRss() + "}");
    }

    static void fail(String message) {
        System.err.println("gclab-peer-error: " + path + ": " + message);
        System.exit(2);
    }

    static final int LONGEST = 13;

    /** An operation's length in bytes, its opcode byte included. */
    static int length(byte op) {
        return switch (op) {
            case 1, 2, 8 -> 13;
            case 3, 4, 7 -> 9;
            case 9 -> 5;
            default -> 1;
        };
    }

    /** Keeps the unperformed tail and reads on, to a whole operation or the end of the file. */
    static void refill(ByteBuffer in) throws IOException {
        in.compact();
        int read = 1;
        while (read > 0 && in.position() < LONGEST) {
            read = file.read(in);
        }
        in.flip();
        if (!in.hasRemaining() || in.remaining() < length(in.get(in.position()))) {
            fail("is cut short: it ends before its END operation");
        }
    }

    static void replay(ByteBuffer in, Object[][] table, boolean spin) throws IOException {
        for (;;) {
            if (in.remaining() < LONGEST) {
                refill(in);
            }
            switch (in.get()) {
                case 0:
                    return;
                case 1: {
                    int index = in.getInt();
                    int slots = in.getInt();
                    int bytes = in.getInt();
                    Object[] object = new Object[slots + 1];
                    if (bytes != 0) {
                        object[slots] = new byte[bytes];
                    }
                    table[index] = object;
                    allocated += 16 + 8L * slots + bytes;
                    break;
                }
                case 2: {
                    Object[] object = table[in.getInt()];
                    int slot = in.getInt();
                    object[slot] = table[in.getInt()];
                    break;
                }
                case 3:
                    table[in.getInt()][in.getInt()] = null;
                    break;
                case 4:
                    if (table[in.getInt()][in.getInt()] != null) {
                        loads++;
                    }
                    break;
                case 5:
                case 6:
                    System.gc();
                    break;
                case 7: {
                    long nanos = in.getLong();
                    if (spin) {
                        long until = System.nanoTime() + nanos;
                        while (System.nanoTime() < until) {
                            // computing, as the trace's program did
                        }
                    }
                    break;
                }
                case 8: {
                    Object[] object = table[in.getInt()];
                    int last = object.length - 1;
                    byte[] bytes = object[last] instanceof Owned owned ? owned.bytes()
                            : (byte[]) object[last];
                    int size = (int) Math.min(in.getLong(), Integer.MAX_VALUE);
                    object[last] = new Owned(bytes, ByteBuffer.allocateDirect(size));
                    break;
                }
                case 9:
                    table[in.getInt()] = null;
                    break;
                default:
                    fail("unknown operation " + in.get(in.position() - 1) + " at byte "
                            + (file.position() - in.remaining() - 1));
            }
        }
    }

    /** The objects the table reaches, counted once each. */
    static long liveObjects(Object[][] table) {
        Set<Object[]> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        for (Object[] object : table) {
            if (object != null) {
                stack.push(object);
            }
        }
        while (!stack.isEmpty()) {
            Object[] object = stack.pop();
            if (seen.add(object)) {
                // The last element is the raw bytes (or null), not a reference.
                for (int slot = 0; slot < object.length - 1; slot++) {
                    if (object[slot] != null) {
                        stack.push((Object[]) object[slot]);
                    }
                }
            }
        }
        return seen.size();
    }

    /** VmHWM of /proc/self/status, in bytes; -1 where the system does not say. */
    static long peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return 1024 * Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux
        }
        return -1;
    }
}
