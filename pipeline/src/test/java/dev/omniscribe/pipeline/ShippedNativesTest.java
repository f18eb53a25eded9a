package dev.omniscribe.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.omniscribe.udfs.audio.FfmpegBinaries;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import net.fornwall.jelf.ElfDynamicSection;
import net.fornwall.jelf.ElfFile;
import net.fornwall.jelf.ElfSymbol;
import net.fornwall.jelf.ElfSymbolTableSection;
import org.junit.jupiter.api.Test;

/**
 * The natives the job unpacks on a machine need nothing beyond a base set that every Linux install
 * has (glibc's libraries, libstdc++, libgcc_s, zlib), or what ships beside them.
 *
 * <p>It reads the ELF {@code NEEDED} entries of every x86-64 Linux library in the jars of the
 * embedded run's class path ({@code target/classpath.txt}, what {@code bin/transcribe} uses) and of
 * the folder the bundled ffmpeg is extracted to, and fails on any library that is neither in the
 * base set nor shipped beside it (same jar or same folder, by file name or soname). A system that
 * has the missing library installed does not hide the defect: nothing here asks the system.
 */
class ShippedNativesTest {

    /** What every Debian or Ubuntu install has: glibc's libraries, the C++ runtime, zlib. */
    private static final Set<String> BASE =
            Set.of(
                    "ld-linux-x86-64.so.2",
                    "libc.so.6",
                    "libm.so.6",
                    "libdl.so.2",
                    "libpthread.so.0",
                    "librt.so.1",
                    "libresolv.so.2",
                    "libutil.so.1",
                    "libstdc++.so.6",
                    "libgcc_s.so.1",
                    "libz.so.1");

    /**
     * ONNX Runtime's GPU providers: loaded only when a GPU is asked for ({@code --gpus}), and
     * documented to need the host's CUDA 12 and cuDNN 9 (README, On a Flink cluster).
     */
    private static final Set<String> GPU_PROVIDERS =
            Set.of("libonnxruntime_providers_cuda.so", "libonnxruntime_providers_tensorrt.so");

    /** The jar the bundled ffmpeg comes from; what is extracted from it is checked instead. */
    private static final Pattern FFMPEG_JAR = Pattern.compile(".*/ffmpeg-[^/]*-linux-x86_64\\.jar");

    /** Paths of natives for other systems, which a Linux JVM never loads. */
    private static final Pattern OTHER_OS =
            Pattern.compile(
                    "(?i).*(freebsd|openbsd|netbsd|dragonfly|sunos|solaris|aix|darwin|macos|osx"
                            + "|windows|win32|android).*");

    private static final short EM_X86_64 = 62;

    @Test
    void everyNativeOnTheEmbeddedClassPathNeedsOnlyTheBaseSetOrWhatShipsBesideIt()
            throws IOException {
        Path classpathFile = Path.of("target", "classpath.txt");
        assertTrue(Files.isRegularFile(classpathFile), classpathFile + " is written before tests");
        List<String> problems = new ArrayList<>();
        Set<String> checked = new TreeSet<>();
        for (String entry : Files.readString(classpathFile).strip().split(":")) {
            if (!entry.endsWith(".jar") || FFMPEG_JAR.matcher(entry).matches()) {
                continue;
            }
            List<Native> natives = nativesInJar(Path.of(entry));
            checkClosure(natives, problems);
            natives.forEach(n -> checked.add(n.name()));
        }
        assertEquals(List.of(), problems);
        // The check saw the natives it exists for.
        assertTrue(checked.contains("libonnxruntime.so"), "ONNX Runtime checked: " + checked);
        assertTrue(checked.contains("libtokenizers.so"), "tokenizers checked: " + checked);
    }

    @Test
    void theExtractedFfmpegNeedsOnlyTheBaseSetOrWhatShipsBesideIt() throws IOException {
        Path lib = FfmpegBinaries.bundled().dir().resolveSibling("lib");
        List<Native> natives = new ArrayList<>();
        try (Stream<Path> files = Files.list(lib)) {
            for (Path file : files.sorted().toList()) {
                if (Files.isRegularFile(file) && !Files.isSymbolicLink(file)) {
                    byte[] bytes = Files.readAllBytes(file);
                    if (isLinuxX8664Elf(file.getFileName().toString(), bytes)) {
                        natives.add(Native.parse(file.getFileName().toString(), bytes));
                    }
                }
            }
        }
        Set<String> names = new HashSet<>();
        natives.forEach(n -> names.add(n.name()));
        assertTrue(
                names.containsAll(Set.of("ffmpeg", "ffprobe", "libavcodec.so.61")),
                "extracted: " + names);
        List<String> problems = new ArrayList<>();
        checkClosure(natives, problems);
        assertEquals(List.of(), problems);
    }

    @Test
    void everySymbolFfmpegImportsIsDefinedByAShippedLibraryOrTheBaseSet() throws IOException {
        // The libavdevice stand-in must define every symbol the executables take from it: with
        // lazy binding a missing function would only fail when called.
        Path lib = FfmpegBinaries.bundled().dir().resolveSibling("lib");
        Set<String> defined = new HashSet<>();
        try (Stream<Path> files = Files.list(lib)) {
            for (Path file : files.sorted().toList()) {
                String name = file.getFileName().toString();
                if (name.startsWith("lib") && Files.isRegularFile(file)) {
                    defined.addAll(dynamicSymbols(Files.readAllBytes(file), true));
                }
            }
        }
        for (String base : BASE) {
            Path system = Path.of("/lib/x86_64-linux-gnu", base);
            if (Files.isRegularFile(system)) {
                defined.addAll(dynamicSymbols(Files.readAllBytes(system), true));
            }
        }
        for (String exe : List.of("ffmpeg", "ffprobe")) {
            Set<String> missing =
                    new TreeSet<>(dynamicSymbols(Files.readAllBytes(lib.resolve(exe)), false));
            missing.removeAll(defined);
            assertEquals(Set.of(), missing, exe + " imports symbols nothing defines");
        }
        assertTrue(defined.contains("avdevice_register_all"), "the stand-in is in " + lib);
    }

    private static void checkClosure(List<Native> natives, List<String> problems) {
        Set<String> shipped = new HashSet<>();
        for (Native n : natives) {
            shipped.add(n.name());
            if (n.soname() != null) {
                shipped.add(n.soname());
            }
        }
        // libva's files ship as libva.so and libva-drm.so and are linked to their sonames on
        // extraction; their ELF sonames already say libva.so.2 and libva-drm.so.2.
        for (Native n : natives) {
            if (GPU_PROVIDERS.contains(n.name())) {
                continue;
            }
            for (String needed : n.needed()) {
                if (!BASE.contains(needed) && !shipped.contains(needed)) {
                    problems.add(n.origin() + " needs " + needed);
                }
            }
        }
    }

    private static List<Native> nativesInJar(Path jar) throws IOException {
        List<Native> natives = new ArrayList<>();
        try (JarFile file = new JarFile(jar.toFile())) {
            Enumeration<JarEntry> entries = file.entries();
            while (entries.hasMoreElements()) {
                JarEntry e = entries.nextElement();
                if (e.isDirectory() || OTHER_OS.matcher(e.getName()).matches()) {
                    continue;
                }
                byte[] head = new byte[20];
                int n;
                try (InputStream in = file.getInputStream(e)) {
                    n = in.readNBytes(head, 0, head.length);
                }
                if (n < head.length || !isLinuxX8664Elf(e.getName(), head)) {
                    continue;
                }
                try (InputStream in = file.getInputStream(e)) {
                    ByteArrayOutputStream all = new ByteArrayOutputStream();
                    in.transferTo(all);
                    String name = e.getName().substring(e.getName().lastIndexOf('/') + 1);
                    Native parsed = Native.parse(name, all.toByteArray());
                    natives.add(
                            new Native(
                                    jar.getFileName() + "!/" + e.getName(),
                                    name,
                                    parsed.soname(),
                                    parsed.needed()));
                }
            }
        }
        return natives;
    }

    private static boolean isLinuxX8664Elf(String name, byte[] head) {
        if (head.length < 20
                || head[0] != 0x7f
                || head[1] != 'E'
                || head[2] != 'L'
                || head[3] != 'F'
                || head[4] != 2) {
            return false;
        }
        short machine = (short) ((head[18] & 0xff) | (head[19] & 0xff) << 8);
        // OS ABI 0 (System V) or 3 (GNU/Linux).
        return machine == EM_X86_64
                && (head[7] == 0 || head[7] == 3)
                && !OTHER_OS.matcher(name.toLowerCase(Locale.ROOT)).matches();
    }

    private static Set<String> dynamicSymbols(byte[] elfBytes, boolean definedOnes) {
        ElfFile elf = ElfFile.from(elfBytes);
        ElfSymbolTableSection dynsym = elf.getDynamicSymbolTableSection();
        Set<String> names = new HashSet<>();
        if (dynsym == null) {
            return names;
        }
        for (ElfSymbol s : dynsym.symbols) {
            String name = s.getName();
            if (name == null || name.isEmpty()) {
                continue;
            }
            boolean isDefined = s.st_shndx != 0;
            if (definedOnes == isDefined
                    && (definedOnes || s.getBinding() != ElfSymbol.BINDING_WEAK)) {
                names.add(name);
            }
        }
        return names;
    }

    /** One ELF file: where it came from, its file name, its soname and what it needs. */
    private record Native(String origin, String name, String soname, List<String> needed) {
        static Native parse(String name, byte[] bytes) {
            ElfFile elf = ElfFile.from(bytes);
            ElfDynamicSection dynamic = elf.getDynamicSection();
            if (dynamic == null) {
                return new Native(name, name, null, List.of());
            }
            String soname = null;
            for (ElfDynamicSection.ElfDynamicStructure e : dynamic.entries) {
                if (e.d_tag == ElfDynamicSection.DT_SONAME) {
                    soname = elf.getDynamicStringTable().get((int) e.d_val_or_ptr);
                }
            }
            return new Native(name, name, soname, dynamic.getNeededLibraries());
        }
    }
}
