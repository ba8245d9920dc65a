"""envsuite-datagen: recipes -> runners (local / ray) -> envsuite.data writer (DESIGN.md section 4).

Depends on envsuite; envsuite never imports datagen.
"""
