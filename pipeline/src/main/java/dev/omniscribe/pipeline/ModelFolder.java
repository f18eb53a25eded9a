package dev.omniscribe.pipeline;

import dev.omniscribe.models.ModelSpec;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Which model folder a command uses: the one given, else the bundled tiny test model. */
public final class ModelFolder {

    /** Environment variable pointing at the project folder (set by {@code bin/*}). */
    public static final String HOME_ENV = "OMNISCRIBE_HOME";

    /** The tiny test model, relative to the project folder. */
    public static final String TINY_MODEL = "models/tiny/onnx-fp32";

    private ModelFolder() {}

    /**
     * The absolute model folder: {@code given} (checked, with an actionable message) if not blank,
     * else the tiny test model below {@code OMNISCRIBE_HOME} (or the working folder), with a
     * warning on {@code err} that its transcripts are meaningless.
     *
     * @throws IllegalArgumentException when the folder is not a model folder
     */
    public static Path resolve(String given, PrintStream err) {
        if (given != null && !given.isBlank()) {
            Path dir = Paths.get(given).toAbsolutePath().normalize();
            ModelSpec.checkFolder(dir); // validates the folder with an actionable message
            return dir;
        }
        String home = System.getenv(HOME_ENV);
        Path base = Paths.get(home != null ? home : ".");
        Path tiny = base.resolve(TINY_MODEL).toAbsolutePath().normalize();
        if (!Files.isRegularFile(tiny.resolve("model.json"))) {
            throw new IllegalArgumentException(
                    "no --model given and the bundled tiny model is not at "
                            + tiny
                            + "; pass --model with a folder made by models/export");
        }
        err.println(
                "WARNING: no --model given: using the bundled tiny test model ("
                        + TINY_MODEL
                        + "). Its weights are random and its transcripts are meaningless text."
                        + " Pass --model with a real model folder.");
        return tiny;
    }
}
