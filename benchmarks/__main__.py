"""``python -m benchmarks`` (``make bench``): the whole benchmark; ``--help`` lists the options.

The import sits under the ``__main__`` guard on purpose: each sync run is a spawned child
process, and a spawned child re-imports the parent's main module. Kept empty, it costs the
child nothing, so the child's start-up and peak RSS are those of the sync alone.
"""

if __name__ == "__main__":
    from benchmarks.harness import main

    main()
