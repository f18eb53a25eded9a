package dev.omniscribe.udfs.audio;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The {@code ffmpeg} and {@code ffprobe} executables the job runs.
 *
 * <p>By default they come from the {@code org.bytedeco:ffmpeg} {@code linux-x86_64} jar on the
 * classpath: the executables and their shared libraries are extracted once per JVM into a folder
 * under {@code java.io.tmpdir} named after the jar's content hash (shared by JVMs on the same
 * host), and started through small wrapper scripts that point {@code LD_LIBRARY_PATH} at the
 * extracted libraries. The jar's {@code libavdevice} (capture devices, linked against ALSA,
 * PulseAudio and XCB) is replaced by a stand-in that defines the symbols the executables import and
 * registers no device ({@code src/main/native/avdevice-stub}), so the extracted folder needs
 * nothing from the system beyond glibc, libstdc++ and libgcc_s. A system ffmpeg can be used
 * instead: pass its folder to {@link #resolve(String)} or set {@code OMNISCRIBE_FFMPEG_DIR}.
 *
 * @param dir the folder holding {@code ffmpeg} and {@code ffprobe} (as Jaffree expects)
 */
public record FfmpegBinaries(Path dir) {

    /** Environment variable naming a folder with a system {@code ffmpeg} and {@code ffprobe}. */
    public static final String DIR_ENV = "OMNISCRIBE_FFMPEG_DIR";

    private static final String RESOURCE_DIR = "org/bytedeco/ffmpeg/linux-x86_64/";

    /** The library replaced by {@link #AVDEVICE_STUB}. */
    static final String AVDEVICE = "libavdevice.so.61";

    /** The stand-in for {@link #AVDEVICE}, a resource of this package. */
    static final String AVDEVICE_STUB = "dev/omniscribe/udfs/audio/" + AVDEVICE;

    private static final Map<String, FfmpegBinaries> CACHE = new ConcurrentHashMap<>();

    public Path ffmpeg() {
        return dir.resolve("ffmpeg");
    }

    public Path ffprobe() {
        return dir.resolve("ffprobe");
    }

    /**
     * The binaries to use: {@code configuredDir} if not blank, else {@code OMNISCRIBE_FFMPEG_DIR}
     * if set, else the bundled ones (extracted on first use). Each choice is checked by running
     * {@code ffmpeg -version}.
     *
     * @throws IllegalStateException with an actionable message when no working ffmpeg is found
     */
    public static FfmpegBinaries resolve(String configuredDir) {
        String dir = configuredDir;
        if (dir == null || dir.isBlank()) {
            dir = System.getenv(DIR_ENV);
        }
        if (dir == null || dir.isBlank()) {
            return bundled();
        }
        return CACHE.computeIfAbsent(dir, k -> system(Path.of(k)));
    }

    /** The bundled binaries, extracted on first use. */
    public static FfmpegBinaries bundled() {
        return CACHE.computeIfAbsent("", k -> extract());
    }

    private static FfmpegBinaries system(Path dir) {
        FfmpegBinaries b = new FfmpegBinaries(dir);
        if (!Files.isExecutable(b.ffmpeg()) || !Files.isExecutable(b.ffprobe())) {
            throw new IllegalStateException(
                    "no executable ffmpeg and ffprobe in "
                            + dir
                            + " (from the ffmpeg option or "
                            + DIR_ENV
                            + ")");
        }
        b.check();
        return b;
    }

    private static FfmpegBinaries extract() {
        URL probe = FfmpegBinaries.class.getClassLoader().getResource(RESOURCE_DIR + "ffmpeg");
        if (probe == null) {
            throw new IllegalStateException(
                    "the bundled ffmpeg (org.bytedeco:ffmpeg, classifier linux-x86_64) is not on"
                            + " the classpath; add it, or set "
                            + DIR_ENV
                            + " to a folder with ffmpeg and ffprobe");
        }
        try {
            List<String> names = new ArrayList<>();
            byte[] hash = listAndHash(probe, names);
            String id = HexFormat.of().formatHex(hash, 0, 8);
            Path root = Path.of(System.getProperty("java.io.tmpdir"), "omniscribe-ffmpeg-" + id);
            if (!Files.isRegularFile(root.resolve("ready"))) {
                populate(root, names);
            }
            FfmpegBinaries b = new FfmpegBinaries(root.resolve("bin"));
            b.check();
            return b;
        } catch (IOException e) {
            throw new IllegalStateException("could not extract the bundled ffmpeg: " + e, e);
        }
    }

    // Names of the executables and libraries in the jar folder, and a hash of their entries.
    private static byte[] listAndHash(URL probe, List<String> names) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        if ("jar".equals(probe.getProtocol())) {
            JarURLConnection conn = (JarURLConnection) probe.openConnection();
            conn.setUseCaches(false);
            try (JarFile jar = conn.getJarFile()) {
                Enumeration<JarEntry> entries = jar.entries();
                while (entries.hasMoreElements()) {
                    JarEntry e = entries.nextElement();
                    String name = e.getName();
                    if (name.startsWith(RESOURCE_DIR) && !e.isDirectory()) {
                        String file = name.substring(RESOURCE_DIR.length());
                        if (wanted(file)) {
                            names.add(file);
                            digest.update(
                                    (file + ":" + e.getSize() + ":" + e.getCrc() + "\n")
                                            .getBytes(StandardCharsets.UTF_8));
                        }
                    }
                }
            }
        } else if ("file".equals(probe.getProtocol())) {
            try (Stream<Path> files = Files.list(Path.of(probe.toURI()).getParent())) {
                for (Path p : files.sorted().toList()) {
                    String file = p.getFileName().toString();
                    if (wanted(file)) {
                        names.add(file);
                        digest.update(
                                (file + ":" + Files.size(p) + "\n")
                                        .getBytes(StandardCharsets.UTF_8));
                    }
                }
            } catch (URISyntaxException e) {
                throw new IOException(e);
            }
        } else {
            throw new IOException("cannot list " + probe);
        }
        if (!names.contains("ffmpeg") || !names.contains("ffprobe")) {
            throw new IOException("the bundled ffmpeg jar lacks ffmpeg or ffprobe: " + names);
        }
        digest.update(stubBytes());
        return digest.digest();
    }

    // The executables and the shared libraries they load; not the JNI bindings, and not the
    // device library, which the stand-in replaces.
    private static boolean wanted(String file) {
        return file.equals("ffmpeg")
                || file.equals("ffprobe")
                || (file.startsWith("lib")
                        && file.contains(".so")
                        && !file.startsWith("libjni")
                        && !file.equals(AVDEVICE));
    }

    private static byte[] stubBytes() throws IOException {
        try (InputStream in =
                FfmpegBinaries.class.getClassLoader().getResourceAsStream(AVDEVICE_STUB)) {
            if (in == null) {
                throw new IOException("missing resource " + AVDEVICE_STUB);
            }
            return in.readAllBytes();
        }
    }

    // Extracts into a fresh folder, then moves it into place, so that concurrent JVMs never see
    // a half-extracted folder.
    private static void populate(Path root, List<String> names) throws IOException {
        Path staging =
                Files.createTempDirectory(root.getParent(), root.getFileName() + ".staging-");
        Path lib = Files.createDirectories(staging.resolve("lib"));
        Path bin = Files.createDirectories(staging.resolve("bin"));
        ClassLoader cl = FfmpegBinaries.class.getClassLoader();
        for (String name : names) {
            try (InputStream in = cl.getResourceAsStream(RESOURCE_DIR + name)) {
                if (in == null) {
                    throw new IOException("missing resource " + RESOURCE_DIR + name);
                }
                Files.copy(in, lib.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
            lib.resolve(name).toFile().setExecutable(true, false);
        }
        Files.write(lib.resolve(AVDEVICE), stubBytes());
        // The jar holds libva as libva.so and libva-drm.so; the libraries load them by soname.
        for (String name : names) {
            if (name.endsWith(".so") && !name.startsWith("libjni")) {
                Path soname = lib.resolve(name + ".2");
                if (!Files.exists(soname)) {
                    Files.createSymbolicLink(soname, Path.of(name));
                }
            }
        }
        Path finalLib = root.resolve("lib");
        for (String exe : List.of("ffmpeg", "ffprobe")) {
            Path script = bin.resolve(exe);
            Files.writeString(
                    script,
                    "#!/bin/sh\n"
                            + "LD_LIBRARY_PATH=\""
                            + finalLib
                            + "${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}\" exec \""
                            + finalLib.resolve(exe)
                            + "\" \"$@\"\n");
            script.toFile().setExecutable(true, false);
        }
        Files.writeString(staging.resolve("ready"), "ok\n");
        try {
            Files.move(staging, root, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
            // Another JVM got there first (or left an incomplete folder behind: replace it).
            if (!Files.isRegularFile(root.resolve("ready"))) {
                deleteTree(root);
                Files.move(staging, root, StandardCopyOption.ATOMIC_MOVE);
            } else {
                deleteTree(staging);
            }
        } catch (IOException e) {
            if (Files.isRegularFile(root.resolve("ready"))) {
                deleteTree(staging);
            } else {
                throw e;
            }
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }

    // Runs ffmpeg -version; a missing system library shows here with a clear message.
    private void check() {
        try {
            Process p =
                    new ProcessBuilder(ffmpeg().toString(), "-hide_banner", "-version")
                            .redirectErrorStream(true)
                            .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(ffmpeg() + " -version did not finish");
            }
            if (p.exitValue() != 0 || !out.startsWith("ffmpeg version")) {
                throw new IllegalStateException(
                        "ffmpeg at "
                                + ffmpeg()
                                + " does not run: "
                                + out.strip()
                                + (out.contains("shared libraries")
                                        ? " (a library it needs is missing; set "
                                                + DIR_ENV
                                                + " to a folder with a system ffmpeg and"
                                                + " ffprobe)"
                                        : ""));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + ffmpeg() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking ffmpeg", e);
        }
    }
}
