"""A demo to click: the stage-11 CNN and the stage-16 breast-cancer pipeline in a Streamlit page.

    make demo     # = ml_journey/bin/python -m streamlit run demo/app.py

``app.py`` is the page; ``backend.py`` decides where the answers come from (the running
stage-16 service, or the same artefacts loaded in this process).
"""
