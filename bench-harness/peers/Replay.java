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
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

public final class Replay {
    /** The last element of an object that owns external memory. */
    record Owned(byte[] bytes, ByteBuffer external) {}

    static long loads;
    static long allocated;

    public static void main(String[] args) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(Path.of(args[0])))
                .order(ByteOrder.LITTLE_ENDIAN);
        boolean spin = args.length > 1 && args[1].equals("spin");
        byte[] magic = new byte[8];
        in.get(magic);
        if (!new String(magic, java.nio.charset.StandardCharsets.ISO_8859_1).equals("GCLABPR1")) {
            System.err.println("gclab-peer-error: " + args[0] + " is not a peer trace");
            System.exit(2);
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

    static void replay(ByteBuffer in, Object[][] table, boolean spin) {
        for (;;) {
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
                    throw new IllegalStateException("unknown operation at byte " + (in.position() - 1));
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
