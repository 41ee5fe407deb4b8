"""The systems, one package each (its configuration, networks and system), declared once in
its ``SPEC`` and listed in ``registry.REGISTRY``; ``base.GANSystem`` is the contract."""
