// gclab's replayer for the JVM: performs a peer trace (bench-harness/src/peers/peer_trace.rs)
// with HotSpot's own objects, so that the chosen HotSpot collector does the work gclab's
// collectors do.
//
//   java -Xlog:gc,safepoint:file=LOG:timenanos -cp DIR Replay PEER_TRACE spin|skip
//
// An object of N slots and B raw bytes is an `Obj` holding an `Obj[N]` and a `byte[B]`; external
// memory is a direct ByteBuffer the object owns. `gc` and `gc minor` are both System.gc(): Java
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
    static final Obj[] NO_SLOTS = new Obj[0];

    static final class Obj {
        final Obj[] s;
        final byte[] b;
        ByteBuffer e;

        Obj(int slots, int bytes) {
            s = slots == 0 ? NO_SLOTS : new Obj[slots];
            b = bytes == 0 ? null : new byte[bytes];
        }
    }

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
        Obj[] table = new Obj[in.getInt()];
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

    static void replay(ByteBuffer in, Obj[] table, boolean spin) {
        for (;;) {
            switch (in.get()) {
                case 0:
                    return;
                case 1: {
                    int index = in.getInt();
                    int slots = in.getInt();
                    int bytes = in.getInt();
                    table[index] = new Obj(slots, bytes);
                    allocated += 16 + 8L * slots + bytes;
                    break;
                }
                case 2: {
                    Obj object = table[in.getInt()];
                    int slot = in.getInt();
                    object.s[slot] = table[in.getInt()];
                    break;
                }
                case 3:
                    table[in.getInt()].s[in.getInt()] = null;
                    break;
                case 4:
                    if (table[in.getInt()].s[in.getInt()] != null) {
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
                    Obj object = table[in.getInt()];
                    object.e = ByteBuffer.allocateDirect((int) Math.min(in.getLong(), Integer.MAX_VALUE));
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
    static long liveObjects(Obj[] table) {
        Set<Obj> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Obj> stack = new ArrayDeque<>();
        for (Obj object : table) {
            if (object != null) {
                stack.push(object);
            }
        }
        while (!stack.isEmpty()) {
            Obj object = stack.pop();
            if (seen.add(object)) {
                for (Obj target : object.s) {
                    if (target != null) {
                        stack.push(target);
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
